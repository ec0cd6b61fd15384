"""How an extractive answer words its quotes."""

from __future__ import annotations

from assistant.answer import without_attribution


def test_quotes_leave_out_the_attribution_their_citation_gives() -> None:
    assert (
        without_attribution(
            "Moving from AE to AM takes about 2-3 years, according to the article, depending on "
            "the agency."
        )
        == "Moving from AE to AM takes about 2-3 years, depending on the agency."
    )
    assert (
        without_attribution(
            'According to the article "Key account executive là gì?", an AE serves the client.'
        )
        == "An AE serves the client."
    )
    assert without_attribution("Theo bài viết, từ AM lên AD mất khoảng 5–6 năm.") == (
        "Từ AM lên AD mất khoảng 5–6 năm."
    )
    assert without_attribution("AE phục vụ khách hàng (theo bài viết).") == "AE phục vụ khách hàng."
    assert without_attribution("The article says an AE serves the client.") == (
        "The article says an AE serves the client."
    )
