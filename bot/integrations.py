"""LangChain adapters, so the bot drops into LangChain apps: a retriever and `bot.answer` as a Runnable.

    from bot.integrations import HybridRetriever, answer_runnable
    HybridRetriever(bot=default_bot(), k=4).invoke("Is baclofen addictive?")   # -> [Document, ...]
    answer_runnable().invoke({"question": "What dose did they use?", "history": [...]})  # -> Answer
"""
from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda

from bot.schema import Answer, Passage


def passage_to_document(passage: Passage) -> Document:
    source = passage.source
    return Document(
        page_content=passage.text,
        metadata={"id": passage.id, "doc_id": source.doc_id, "title": source.title, "url": source.url,
                  "heading": passage.heading, "start": passage.start, "end": passage.end, "score": passage.score},
    )


class HybridRetriever(BaseRetriever):
    """The bot's hybrid retrieval as a LangChain retriever."""

    bot: Any
    k: int = 5

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [passage_to_document(p) for p in self.bot.retrieve(query, self.k)]


def answer_runnable(bot=None) -> Runnable:
    """`bot.answer` as a Runnable: input a question string or {"question", "history"?}; output an `Answer`."""
    from bot.service import default_bot

    def run(value) -> Answer:
        target = bot or default_bot()
        if isinstance(value, dict):
            return target.answer(value.get("question", ""), history=value.get("history"))
        return target.answer(value)

    return RunnableLambda(run, name="grounded_answer")
