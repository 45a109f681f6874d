"""The one place a visitor's question is answered, whichever way it came in (chat, widget, REST, Gradio API):
input checks, the per-client rate limit, the worker pool and timeout, the safe fallback when something
fails, and the opt-in conversation log."""
from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread

from bot.errors import BotError, IndexMissingError
from bot.feedback import FeedbackStore, default_url
from bot.privacy import ConversationLog, RateLimiter
from bot.schema import Answer, Route
from bot.service import Bot
from bot.settings import Settings
from bot.web.metrics import Metrics

log = logging.getLogger(__name__)

UNAVAILABLE = "Sorry, I can't answer right now. Please try again in a moment."
RATE_LIMITED = "You're sending questions faster than I can answer. Please wait {seconds} seconds and ask again."
TIMED_OUT = "Sorry, that took too long to answer. Please try again."
HISTORY_SHAPE = "\"history\" must be a list of {\"role\": \"user\"|\"assistant\", \"content\": string} messages."


@dataclass
class Visit:
    answer: Answer
    record: dict  # the `bot.eval` results-line object: id, question, the answer's record, latency_ms
    retry_after: int = 0  # seconds, when rate limited
    partial: bool = False  # a streamed answer still being written (verified sentences so far; no record yet)


class Visitors:
    def __init__(self, bot: Bot, settings: Settings):
        self.bot, self.settings = bot, settings
        self.limiter = RateLimiter(settings.rate_limit_per_min)
        # Answers are CPU-bound: more at once than there are cores only makes every one slower.
        self.workers = anyio.CapacityLimiter(settings.answer_workers)
        self.log = ConversationLog(settings.data_dir / "conversations", settings.conversation_log_days,
                                   bot.is_corpus_word) if settings.log_conversations else None
        if self.log:
            self.log.prune()
        self.metrics = Metrics() if settings.metrics else None
        self.feedback = FeedbackStore(settings.feedback_db or default_url(settings.data_dir), settings.feedback_days,
                                      bot.is_corpus_word) if settings.feedback else None
        if self.feedback:
            self.feedback.prune()

    def client_of(self, request) -> str:
        headers = getattr(request, "headers", None) or {}
        forwarded = headers.get("x-forwarded-for") if self.settings.trust_proxy_headers else None
        if forwarded:
            return forwarded.split(",")[0].strip()
        client = getattr(request, "client", None)
        return getattr(client, "host", None) or "unknown"

    def problem(self, question, history=None) -> str | None:
        """Why a question (and its history) cannot be answered as sent, or None. The same rules for every way in."""
        if not isinstance(question, str):
            return "\"question\" is required and must be a string."
        if not question.strip():
            return "\"question\" is empty."
        if len(question) > self.settings.max_question_chars:
            return (f"\"question\" is too long ({len(question)} characters; "
                    f"the limit is {self.settings.max_question_chars}).")
        if history is not None and (not isinstance(history, list) or not all(
                isinstance(m, dict) and isinstance(m.get("content", ""), str) and m.get("role") in ("user", "assistant")
                for m in history)):
            return HISTORY_SHAPE
        return None

    async def ask(self, question: str, history, client: str) -> Visit:
        """Answer within the rate limit, the worker pool and the timeout; failures become a clear message.
        With the site's own model configured, its verified rewrite (or the quotes when it fails)."""
        visits = [visit async for visit in self.answers(question, history, client, stream=False)]
        return visits[-1]

    async def answers(self, question: str, history, client: str, stream: bool = True) -> AsyncIterator[Visit]:
        """The visit, as it is written: with a model and `stream`, partial visits carrying the sentences
        verified so far come first; the last one is final (recorded, logged and counted)."""
        started = time.perf_counter()
        wait = self.limiter.retry_after(client)
        if wait is not None:
            seconds = int(wait) + 1
            answer = Answer(text=RATE_LIMITED.format(seconds=seconds), refused=True, route=Route.RATE_LIMITED)
            yield Visit(answer, self._record(question, answer, started), retry_after=seconds)
            return
        try:
            with anyio.fail_after(self.settings.answer_timeout_seconds):
                # the multilingual vector first, outside the worker pool: questions that arrive together are
                # embedded in shared batches while earlier answers hold the workers
                await anyio.to_thread.run_sync(self.safe_prefetch, question, abandon_on_cancel=True)
                answer = await anyio.to_thread.run_sync(self.safe_answer, question, history,
                                                        limiter=self.workers, abandon_on_cancel=True)
        except TimeoutError:
            answer = Answer(text=TIMED_OUT, refused=True, route=Route.TIMED_OUT)
        writer = self.bot.writer
        if writer is not None and writer.eligible(answer):  # the model runs outside the worker pool: it waits
            if stream:
                written = answer
                async for written in writer.stream(str(question), answer):
                    if written.generation and written.generation.get("streaming"):
                        yield Visit(written, {}, partial=True)
                answer = written
            else:
                answer = await writer.awrite(str(question), answer)
        yield self._finish(question, answer, started)

    def _finish(self, question, answer: Answer, started: float) -> Visit:
        record = self._record(question, answer, started)
        if self.metrics is not None:
            self.metrics.observe(answer, time.perf_counter() - started)
        if self.log and isinstance(question, str) and answer.route not in (Route.UNAVAILABLE, Route.TIMED_OUT):
            self.log.write(question, record)
        return Visit(answer, record)

    def vote(self, answered: dict, liked: bool) -> bool:
        """Keep a visitor's vote on an answer (`answered`: question, id, route, mode); False when feedback is
        off or the vote is not about an answer."""
        if self.feedback is None or not answered.get("id"):
            return False
        self.feedback.record(answered.get("question", ""), answered["id"], answered.get("route", ""),
                             answered.get("mode", "extractive"), liked, quotes=answered.get("quotes", ()))
        return True

    def safe_prefetch(self, question) -> None:
        """bot.prefetch; a failure only means the answer embeds the question itself (it reports the error)."""
        try:
            self.bot.prefetch(question)
        except Exception:
            log.debug("prefetch failed", exc_info=True)

    def safe_answer(self, question, history=None) -> Answer:
        """bot.answer, with operational failures turned into a message instead of an error page: a missing
        index says how to build it; an unreachable index or an unexpected error asks to try again (logged)."""
        try:
            return self.bot.answer(question, history=history, generate=False)  # the model, if any, runs later
        except IndexMissingError as exc:
            log.error("%s", exc)
            return Answer(text=str(exc), refused=True, route=Route.UNAVAILABLE)
        except BotError as exc:
            log.warning("answer failed: %s", exc)
            return Answer(text=UNAVAILABLE, refused=True, route=Route.UNAVAILABLE)
        except Exception:
            log.exception("unexpected error while answering")  # the traceback, never the question text
            return Answer(text=UNAVAILABLE, refused=True, route=Route.UNAVAILABLE)

    @staticmethod
    def _record(question, answer: Answer, started: float) -> dict:
        record: dict[str, Any] = {"id": uuid.uuid4().hex[:12],
                                  "question": question if isinstance(question, str) else ""}
        record.update(answer.to_record())
        record["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return record
