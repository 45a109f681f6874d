"""LangChain adapters, so the bot drops into LangChain apps the way its own components do.

    from bot.integrations import HybridRetriever, answer_runnable
    HybridRetriever(k=4).invoke("Is baclofen addictive?")                     # -> [Document, ...]
    chain = answer_runnable()                                                  # retriever -> compose -> message
    chain.invoke({"input": "What dose did they use?", "chat_history": [HumanMessage(...), AIMessage(...)]})
    (chain | StrOutputParser()).invoke("Is baclofen addictive?")               # -> the answer text
    chain.invoke("...").response_metadata["answer"]                            # -> the structured record

The chain's steps (`parse_input`, the `HybridRetriever`, `compose`, `answer_message`) are separate runs, so
callbacks and tracing see the retrieval and what it returned. Its output is an AIMessage whose text is the
answer (notices first, `[n]` markers) and whose `response_metadata["answer"]` is the same record as one
`bot.eval` results line; `stream()` yields it statement by statement.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.prompt_values import PromptValue
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableConfig, RunnableGenerator, RunnableLambda
from pydantic import Field

from bot.conversation import normalize_history
from bot.errors import InvalidQuestionError
from bot.schema import Answer, Passage

QUESTION_KEYS = ("question", "input", "query")
HISTORY_KEYS = ("history", "chat_history")


def passage_to_document(passage: Passage) -> Document:
    source = passage.source
    return Document(
        id=passage.id, page_content=passage.text,
        metadata={"source": source.url, "start_index": passage.start, "end_index": passage.end,
                  "title": source.title, "doc_id": source.doc_id, "heading": passage.heading,
                  "passage_id": passage.id, "score": passage.score},
    )


class HybridRetriever(BaseRetriever):
    """The bot's hybrid retrieval (dense + BM25, fused) as a LangChain retriever.

    `k` (or `search_kwargs={"k": ...}`, or `invoke(query, k=...)` per call) sets how many passages come back;
    `history` may be passed per call so a follow-up finds the sources the conversation is about."""

    bot: Any = None  # a bot.service.Bot; the process-wide default when None
    k: int = 5
    search_kwargs: dict = Field(default_factory=dict)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                k: int | None = None, history=None) -> list[Document]:
        from bot.service import default_bot

        target = self.bot or default_bot()
        count = k if k is not None else self.search_kwargs.get("k", self.k)
        if not isinstance(count, int) or count < 1:
            raise ValueError(f"k must be a positive integer, got {count!r}")
        return [passage_to_document(p) for p in target.retrieve(query, count, history=history)[:count]]


def parse_input(value) -> dict:
    """{"question", "history"} from a string, a dict ({"question"|"input"|"query", "history"|"chat_history"}),
    a message, a list of messages (the last one is the question) or a prompt value; anything else is an error."""
    if isinstance(value, PromptValue):
        value = value.to_messages()
    if isinstance(value, str):
        return {"question": value, "history": []}
    if isinstance(value, BaseMessage):
        return {"question": _text_of(value), "history": []}
    if isinstance(value, (list, tuple)) and value:
        turns = normalize_history(list(value))
        if turns[-1]["role"] != "user":
            raise InvalidQuestionError("The last message must be the user's question.")
        return {"question": turns[-1]["content"], "history": turns[:-1]}
    if isinstance(value, dict):
        return _parse_dict(value)
    raise InvalidQuestionError(f"Cannot read a question from {type(value).__name__}: give a string, a message, "
                               "a list of messages, or {\"question\": ..., \"chat_history\": [...]}.")


def _parse_dict(value: dict) -> dict:
    questions = [k for k in QUESTION_KEYS if k in value]
    histories = [k for k in HISTORY_KEYS if k in value]
    unknown = set(value) - set(QUESTION_KEYS) - set(HISTORY_KEYS)
    if len(questions) != 1 or len(histories) > 1 or unknown:
        raise InvalidQuestionError(
            "Give exactly one of " + ", ".join(f'"{k}"' for k in QUESTION_KEYS) + " and at most one of "
            + ", ".join(f'"{k}"' for k in HISTORY_KEYS) + (f"; unknown keys: {sorted(unknown)}" if unknown else "."))
    question = value[questions[0]]
    if isinstance(question, BaseMessage):
        question = _text_of(question)
    return {"question": question, "history": normalize_history(value[histories[0]] if histories else None)}


def _text_of(message: BaseMessage) -> str:
    if not isinstance(message.content, str):
        raise InvalidQuestionError("Only text messages are supported.")
    return message.content


def answer_runnable(bot=None, retriever: HybridRetriever | None = None, output: str = "message") -> Runnable:
    """The bot's answer as a LangChain chain: parse_input -> HybridRetriever -> compose -> answer_message.

    `output="message"` (default) ends in an AIMessage (works with StrOutputParser; the record is in
    `response_metadata["answer"]`); `output="answer"` ends in the `bot.schema.Answer` itself."""
    from bot.service import default_bot

    def target():
        return bot or default_bot()

    documents = retriever or HybridRetriever(bot=bot)

    def retrieve(value: dict, config: RunnableConfig) -> dict:
        k = target().settings.answer_passages
        found = documents.invoke(value["question"], config, k=k, history=value["history"])
        return {**value, "documents": found}

    def compose(value: dict) -> Answer:
        passage_ids = [d.id for d in value["documents"]]
        return target().answer_from_passages(value["question"], value["history"], passage_ids)

    chain = (RunnableLambda(parse_input, name="parse_input") | RunnableLambda(retrieve, name="retrieve")
             | RunnableLambda(compose, name="compose"))
    if output == "answer":
        return chain.with_config(run_name="grounded_answer")
    if output != "message":
        raise ValueError('output must be "message" or "answer"')
    return (chain | RunnableGenerator(answer_message, name="answer_message")).with_config(run_name="grounded_answer")


def answer_message(answers: Iterator[Answer]) -> Iterator[AIMessageChunk]:
    """An Answer as message chunks: notices, then each quoted statement; the last chunk carries the record."""
    for answer in answers:
        pieces = _pieces(answer)
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            yield AIMessageChunk(content=piece, response_metadata={"answer": answer.to_record()} if last else {})


def _pieces(answer: Answer) -> list[str]:
    """The answer text cut after each notice and each run of [n] markers, so the pieces join back exactly."""
    import re

    cuts = [0]
    for match in re.finditer(r"(?:\s*\[\d+\])+|\n\n", answer.text):
        cuts.append(match.end())
    cuts.append(len(answer.text))
    pieces = [answer.text[a:b] for a, b in zip(cuts, cuts[1:], strict=False) if b > a]
    return pieces or [answer.text]
