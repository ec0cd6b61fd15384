"""The assistant from LangChain: a Runnable, callbacks, message history, a replaceable prompt,
a retriever that refuses, and the Chroma vector store."""

from __future__ import annotations

import asyncio
import re
from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.prompts import ChatPromptTemplate

from assistant import Answer, Assistant
from assistant.llm import LLMAnswerer

QUESTION = "What does an account executive do?"


class Recorder(BaseCallbackHandler):
    """Keeps the names of the callback events it sees."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.retrieved: list[Any] = []
        self.prompts: list[Any] = []

    def on_chain_start(self, serialized: Any, inputs: Any, **kwargs: Any) -> None:
        self.events.append("chain_start")

    def on_retriever_start(self, serialized: Any, query: str, **kwargs: Any) -> None:
        self.events.append("retriever_start")

    def on_retriever_end(self, documents: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.events.append("retriever_end")
        self.retrieved.append(documents)

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self.events.append("chat_model_start")
        self.prompts.append(messages)

    def on_chain_end(self, outputs: Any, **kwargs: Any) -> None:
        self.events.append("chain_end")


def test_invoke_batch_and_stream(bot: Assistant) -> None:
    chain = bot.as_runnable()
    answer = chain.invoke({"question": QUESTION})
    assert isinstance(answer, Answer) and answer.sources and not answer.abstained
    batch = chain.batch([{"question": QUESTION}, {"question": "What is the capital of Peru?"}])
    assert [a.abstained for a in batch] == [False, True]
    pieces = list(chain.stream({"question": QUESTION}))
    assert len(pieces) > 3 and "".join(pieces) == answer.answer
    # It composes like any Runnable.
    assert (chain | (lambda a: a.answer)).invoke({"question": QUESTION}) == answer.answer


def test_async_invoke_and_stream(bot: Assistant) -> None:
    chain = bot.as_runnable()

    async def run() -> tuple[Answer, list[str]]:
        answer = await chain.ainvoke({"question": QUESTION})
        pieces = [p async for p in chain.astream({"question": QUESTION})]
        return answer, pieces

    answer, pieces = asyncio.run(run())
    assert "".join(pieces) == answer.answer and answer.sources


def test_history_of_langchain_messages_makes_a_follow_up(bot: Assistant) -> None:
    history = [
        HumanMessage("What does an account manager do?"),
        AIMessage("An account manager ... [1]"),
    ]
    question = "And how long until they become a director?"
    answer = bot.as_runnable().invoke({"question": question, "chat_history": history})
    assert re.search(r"5\s*[-–]\s*6", answer.answer), answer.answer
    assert bot.ask(question, history).answer == answer.answer


def test_callbacks_see_the_chain_and_the_retriever(bot: Assistant) -> None:
    recorder = Recorder()
    bot.as_runnable().invoke({"question": QUESTION}, {"callbacks": [recorder]})
    assert recorder.events[0] == "chain_start" and recorder.events[-1] == "chain_end"
    assert "retriever_start" in recorder.events and recorder.retrieved[0]
    refused = Recorder()
    list(bot.as_runnable().stream({"question": "Will it rain tomorrow?"}, {"callbacks": [refused]}))
    assert "retriever_end" in refused.events and refused.retrieved == [[]]


def test_callbacks_see_the_chat_model_and_the_prompt_can_be_replaced(bot: Assistant) -> None:
    llm_bot = Assistant(bot.settings, embeddings=bot.embeddings, store=bot.store)
    prompt = ChatPromptTemplate.from_messages(
        [
            ("system", "Answer in {language} from the sources only. Cite them as [n]."),
            ("human", "{sources}\n\nPLEASE ANSWER: {question}"),
        ]
    )
    model = GenericFakeChatModel(messages=iter(["An AE serves the client [1]."]))
    llm_bot.generator = LLMAnswerer(model, prompt=prompt)
    recorder = Recorder()
    answer = llm_bot.as_runnable().invoke({"question": QUESTION}, {"callbacks": [recorder]})
    assert answer.answer == "An AE serves the client [1]."
    assert "chat_model_start" in recorder.events
    sent = recorder.prompts[0][0]
    assert sent[0].content.startswith("Answer in English from the sources only.")
    assert "PLEASE ANSWER: What does an account executive do?" in sent[1].content


def test_the_retriever_takes_the_conversation_and_refuses_what_the_sources_lack(
    bot: Assistant,
) -> None:
    retriever = bot.as_retriever(k=3)
    assert len(retriever.invoke(QUESTION)) == 3
    assert retriever.invoke("What's the weather in Hanoi tomorrow?") == []
    follow = retriever.invoke(
        "And how long until they become a director?", history=["What does an account manager do?"]
    )
    assert re.search(r"5\s*[-–]\s*6", follow[0].page_content), follow[0].page_content


def test_the_chroma_vector_store_is_reachable(bot: Assistant) -> None:
    store = bot.vectorstore()
    found = store.similarity_search("account executive", k=2)
    assert len(found) == 2 and all(d.metadata.get("path") for d in found)
    assert len(store.max_marginal_relevance_search("account executive", k=2)) == 2


@pytest.mark.parametrize("bad", [{"chat_history": []}, 42])
def test_bad_input_is_a_clear_error(bot: Assistant, bad: Any) -> None:
    from assistant import QuestionError

    with pytest.raises(QuestionError, match="question"):
        bot.as_runnable().invoke(bad)
