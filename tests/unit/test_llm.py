"""The LLM answerer alone: an AnswerRequest with stand-in callables, no Assistant, no index."""

from __future__ import annotations

from collections.abc import Iterator

from langchain_core.documents import Document
from langchain_core.language_models import GenericFakeChatModel

from assistant.answer import Answer, AnswerRequest, Generator, Source
from assistant.llm import LLMAnswerer
from assistant.retrieval import Hit


def hit(n: int, text: str) -> Hit:
    return Hit(
        Document(
            page_content=text,
            id=f"c{n}",
            metadata={"path": f"corpus/{n}.md", "title": f"T{n}", "chunk": 0},
        ),
        0.9,
    )


ASKED = [hit(1, "Account Executives serve the client."), hit(2, "ADs lead the team.")]
AGAIN = [hit(3, "An Account Manager becomes a director after some years.")]


class Calls:
    """The Assistant's side of the seam, recorded."""

    def __init__(self, found: list[Hit] | None = None) -> None:
        self.found = found
        self.searched: list[str] = []
        self.fell_back: list[tuple[str, list[Hit]]] = []

    def search(self, question: str) -> list[Hit] | None:
        self.searched.append(question)
        return self.found

    def fallback(self, question: str, hits: list[Hit]) -> Answer:
        self.fell_back.append((question, hits))
        return Answer(f"{hits[0].document.page_content} [1]", [Source.from_hit(hits[0])])


def request(
    calls: Calls, question: str = "What does an AE do?", history: tuple[str, ...] = ()
) -> AnswerRequest:
    return AnswerRequest(question, list(ASKED), "en", None, history, calls.search, calls.fallback)


def answer(model: GenericFakeChatModel, req: AnswerRequest) -> tuple[list[str], Answer]:
    generator: Generator = LLMAnswerer(model)  # the protocol the Assistant calls
    stream = generator.stream(req)
    pieces = list(stream)
    assert stream.result is not None
    return pieces, stream.result


def replies(*texts: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter(texts))


def test_an_answer_cites_the_request_hits_and_calls_nothing_back() -> None:
    calls = Calls()
    pieces, reply = answer(replies("ADs lead [2]. AEs serve [1]."), request(calls))
    assert reply.answer == "ADs lead [1]. AEs serve [2]." == "".join(pieces)
    assert [s.path for s in reply.sources] == ["corpus/2.md", "corpus/1.md"]
    assert calls.searched == [] and calls.fell_back == []


def test_a_follow_up_is_searched_again_through_the_request() -> None:
    calls = Calls(found=AGAIN)
    _, reply = answer(
        replies("How long until an AM becomes a director?", "Years [1]."),
        request(calls, "And then?", history=("What does an AM do?",)),
    )
    assert calls.searched == ["How long until an AM becomes a director?"]
    assert [s.path for s in reply.sources] == ["corpus/3.md"]


def test_a_follow_up_the_sources_do_not_cover_keeps_the_first_hits() -> None:
    calls = Calls(found=None)
    _, reply = answer(
        replies("How long until an AM becomes a director?", "AEs serve [1]."),
        request(calls, "And then?", history=("What does an AM do?",)),
    )
    assert calls.searched and [s.path for s in reply.sources] == ["corpus/1.md"]


def test_a_failing_model_falls_back_to_the_request_fallback_with_a_notice() -> None:
    def down() -> Iterator[str]:
        raise ConnectionRefusedError("Connection refused")
        yield ""  # pragma: no cover - makes this a generator

    calls = Calls()
    pieces, reply = answer(GenericFakeChatModel(messages=down()), request(calls))
    assert calls.fell_back == [("What does an AE do?", ASKED)]
    assert reply.answer == "Account Executives serve the client. [1]" == "".join(pieces)
    assert reply.notice and "cannot be reached" in reply.notice
