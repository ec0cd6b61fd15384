"""The fake embedding model behaves like e5 where tests rely on it: same text, same vector;
unit length; the shapes of ``encode_*``; texts that share words are closer."""

from __future__ import annotations

import numpy as np

from assistant import testing
from assistant.testing import FakeEmbeddings


def test_the_test_doubles_are_pinned() -> None:
    assert testing.__all__ == ["FakeEmbeddings"]


def test_the_same_text_always_gets_the_same_unit_vector() -> None:
    one, two = FakeEmbeddings(), FakeEmbeddings()
    a = one.encode_query("What does an account executive do?")
    assert a.dtype == np.float32 and a.shape == (384,)
    assert np.array_equal(a, two.encode_query("What does an account executive do?"))
    assert abs(float(np.linalg.norm(a)) - 1.0) < 1e-5
    assert np.array_equal(one.encode_passages(["x y"])[0], one.encode_query("x y"))


def test_shapes_and_the_langchain_interface() -> None:
    fake = FakeEmbeddings(size=16)
    assert fake.encode_passages(["a", "b c"]).shape == (2, 16)
    assert fake.encode_queries([]).shape == (0, 16)
    assert len(fake.embed_documents(["a"])[0]) == 16 and len(fake.embed_query("")) == 16
    assert fake.passages == ["a", "b c", "a"]  # what was embedded as passages, in order


def test_texts_that_share_words_are_closer() -> None:
    fake = FakeEmbeddings()
    passage = fake.encode_query("The account executive serves the client every day")
    near = fake.encode_query("account executive client")
    far = fake.encode_query("media buyers negotiate television prices")
    assert float(near @ passage) > 0.5 > float(far @ passage)
