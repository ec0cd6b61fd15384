"""The assistant as a LangChain Runnable, to compose, stream, batch and trace.

``Assistant.as_runnable()`` gives an ``AssistantRunnable``: it takes
``{"question": str, "chat_history": [...]}`` (LangChain messages, OpenAI/Gradio-style dicts or
plain strings) and returns the ``Answer``. ``invoke``, ``batch`` and ``ainvoke`` give Answers;
``stream`` and ``astream`` give the answer's text in pieces. A ``RunnableConfig``'s callbacks
see the run as a chain, the search as a retriever run (``on_retriever_start``) and, with an LLM
configured, the chat model's calls (``on_chat_model_start``).

Example:
    >>> chain = Assistant().as_runnable()
    >>> chain.invoke({"question": "What does an AE do?"}).sources[0].title
    >>> for piece in chain.stream({"question": "Còn AD thì sao?",
    ...                            "chat_history": [HumanMessage("AM làm gì?")]}):
    ...     print(piece, end="")
    >>> (chain | (lambda answer: answer.answer)).invoke({"question": "AE là gì?"})
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any, Protocol

from langchain_core.callbacks import CallbackManagerForChainRun
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import (
    ensure_config,
    get_callback_manager_for_config,
    run_in_executor,
)

from .answer import Answer, AnswerStream
from .errors import QuestionError

_END = object()


class Answerer(Protocol):
    """What the Runnable calls: ``assistant.Assistant`` (kept apart so imports flow one way)."""

    def ask(
        self, question: str, history: Sequence[Any] | None = None, *, callbacks: Any = None
    ) -> Answer: ...

    def stream(
        self, question: str, history: Sequence[Any] | None = None, *, callbacks: Any = None
    ) -> AnswerStream: ...


def _inputs(value: Any) -> tuple[str, list[Any]]:
    """The question and the history of a Runnable's input (a dict, or a bare question)."""
    if isinstance(value, str):
        return value, []
    if isinstance(value, Mapping):
        question = value.get("question", value.get("input"))
        if not isinstance(question, str):
            raise QuestionError('The input needs a "question" (text).')
        return question, list(value.get("chat_history") or value.get("history") or [])
    raise QuestionError('The input must be {"question": ..., "chat_history": [...]} or text.')


class AssistantRunnable(Runnable[dict[str, Any], Answer]):
    """``{"question", "chat_history"}`` -> ``Answer``, for LangChain (see the module docstring).

    Args:
        bot: the assistant that answers.
    """

    name = "career-assistant"

    def __init__(self, bot: Answerer) -> None:
        self.bot = bot

    def invoke(
        self, input: dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any
    ) -> Answer:
        """The whole answer."""
        return self._call_with_config(self._answer, input, config, run_type="chain")

    def _answer(
        self, input: dict[str, Any], run_manager: CallbackManagerForChainRun, config: RunnableConfig
    ) -> Answer:
        question, history = _inputs(input)
        return self.bot.ask(question, history, callbacks=run_manager.get_child())

    def stream(  # type: ignore[override]
        self,
        input: dict[str, Any],
        config: RunnableConfig | None = None,
        **kwargs: Any,
    ) -> Iterator[str]:
        """The answer's text, in pieces as it is made."""
        config = ensure_config(config)
        manager = get_callback_manager_for_config(config)
        run = manager.on_chain_start(
            None, input, name=config.get("run_name") or self.name, run_id=config.pop("run_id", None)
        )
        try:
            question, history = _inputs(input)
            answer = self.bot.stream(question, history, callbacks=run.get_child())
            yield from answer
        except BaseException as e:
            run.on_chain_error(e)
            raise
        run.on_chain_end(answer.result.to_dict() if answer.result else {})

    async def astream(  # type: ignore[override]
        self,
        input: dict[str, Any],
        config: RunnableConfig | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[str]:
        """``stream``, for asyncio: the answer is made in a worker thread."""
        pieces = self.stream(input, config)
        while True:
            piece = await run_in_executor(config, next, pieces, _END)
            if piece is _END:
                return
            yield str(piece)
