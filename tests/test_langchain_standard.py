"""LangChain's standard test suites (langchain-tests) for the retriever and the embeddings."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import (
    EmbeddingsIntegrationTests,
    RetrieversIntegrationTests,
)
from langchain_tests.unit_tests import EmbeddingsUnitTests

from assistant import Assistant, HybridRetriever, Settings
from assistant.embeddings import E5Embeddings


class TestHybridRetriever(RetrieversIntegrationTests):
    """``HybridRetriever`` over the shipped corpus, indexed once per session."""

    @pytest.fixture(autouse=True)
    def _index(self, corpus_index: Settings, e5: E5Embeddings) -> None:
        self._searcher = Assistant(corpus_index, embeddings=e5).searcher

    @property
    def retriever_constructor(self) -> type[HybridRetriever]:
        return HybridRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"searcher": self._searcher}

    @property
    def retriever_query_example(self) -> str:
        return "What does an account executive do?"

    def test_documents_cite_the_corpus(self, retriever: HybridRetriever) -> None:
        documents = retriever.invoke(self.retriever_query_example, k=2)
        assert len(documents) == 2
        assert documents[0].metadata["path"].startswith("corpus/")
        assert "account executive" in documents[0].page_content.lower()
        assert documents[0].metadata["score"] >= documents[1].metadata["score"]


class TestE5EmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[E5Embeddings]:
        return E5Embeddings


class TestE5EmbeddingsIntegration(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[E5Embeddings]:
        return E5Embeddings

    def test_vectors_are_the_bundled_multilingual_e5(self, model: E5Embeddings) -> None:
        query = model.embed_query("Account executive là gì?")
        close, far = model.embed_documents(
            ["An account executive serves the client.", "Bánh mì is a Vietnamese sandwich."]
        )
        assert len(query) == 384
        assert abs(sum(v * v for v in query) - 1.0) < 1e-3  # L2-normalised

        def cosine(a: list[float], b: list[float]) -> float:
            return sum(x * y for x, y in zip(a, b, strict=True))

        assert cosine(query, close) > cosine(query, far)
