"""AnswerWriter: ask the site's model to rewrite the evidence spans, verify every sentence, and show only
what passed; otherwise the quoted (extractive) answer.

The safety gate and the calibrated decision to answer have already run: only an answered, English, non-urgent
answer without a personal-dose question is handed to the model, so crisis and emergency notices never depend on
it. Whatever goes wrong (an error, a timeout, junk, "not in the sources", too few sentences verified), the
visitor gets the extractive answer, and the reason goes to the log, not the chat.
"""
from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace

import numpy as np

from bot.eval.support import SupportJudge
from bot.generation.model import NOT_IN_SOURCES, generation_chain, prompt_inputs
from bot.generation.sentences import SentenceCutter, split_all
from bot.generation.verify import Verdict, verify
from bot.schema import Answer, Route, VerifiedSentence
from bot.settings import Settings

log = logging.getLogger(__name__)

NEVER_GENERATED = {"crisis", "emergency", "dosing"}  # notices that must not wait on, or be worded by, a model
GENERATED_ROUTES = (Route.ANSWER, Route.INTERACTION, Route.TREATMENT)


class AnswerWriter:
    def __init__(self, settings: Settings, embed: Callable[[Sequence[str]], np.ndarray]):
        self.settings = settings
        self.embed = embed
        self.chain = generation_chain(settings)

    @staticmethod
    def eligible(answer: Answer) -> bool:
        return (not answer.refused and bool(answer.citations) and answer.route in GENERATED_ROUTES
                and answer.language == "en" and not NEVER_GENERATED & set(answer.safety_routes))

    # --- the two ways to run it ------------------------------------------------------------------
    def write(self, question: str, answer: Answer) -> Answer:
        """The finished answer (one non-streamed request): what `bot.answer()` and `/api/ask` return."""
        if not self.eligible(answer):
            return answer
        try:
            reply = self.chain.invoke(prompt_inputs(question, answer.citations))
        except Exception as exc:  # the endpoint's failure must never reach the visitor
            return self._fallback(answer, f"endpoint failed: {_describe(exc)}", [])
        return self._decide(answer, str(reply))

    async def awrite(self, question: str, answer: Answer) -> Answer:
        """`write` without holding a thread while the model thinks (the web app's REST path)."""
        if not self.eligible(answer):
            return answer
        try:
            reply = await asyncio.wait_for(self.chain.ainvoke(prompt_inputs(question, answer.citations)),
                                           self.settings.llm_timeout_s)
        except Exception as exc:
            return self._fallback(answer, f"endpoint failed: {_describe(exc)}", [])
        return self._decide(answer, str(reply))

    async def stream(self, question: str, answer: Answer) -> AsyncIterator[Answer]:
        """Answers as verified sentences complete (streamed request); the last one is final. A sentence is
        shown only after it has passed, so an unverified token never reaches the screen."""
        if not self.eligible(answer):
            yield answer
            return
        judge, spans = SupportJudge(self.embed), _spans(answer)
        cutter, verdicts, reply = SentenceCutter(), [], ""
        try:
            async with asyncio.timeout(self.settings.llm_timeout_s):
                async for piece in self.chain.astream(prompt_inputs(question, answer.citations)):
                    reply += str(piece)
                    for sentence in cutter.feed(str(piece)):
                        verdicts.append(verify(sentence, spans, judge))
                        if verdicts[-1].kept:
                            yield self._generated(answer, verdicts, streaming=True)
        except Exception as exc:
            yield self._fallback(answer, f"endpoint failed: {_describe(exc)}", verdicts)
            return
        verdicts += [verify(sentence, spans, judge) for sentence in cutter.finish()]
        yield self._finish(answer, reply, verdicts)

    # --- deciding -----------------------------------------------------------------------------
    def _decide(self, answer: Answer, reply: str) -> Answer:
        """A whole (non-streamed) reply: verify every sentence, then show it or fall back."""
        judge, spans = SupportJudge(self.embed), _spans(answer)
        return self._finish(answer, reply, [verify(sentence, spans, judge) for sentence in split_all(reply)])

    def _finish(self, answer: Answer, reply: str, verdicts: list[Verdict]) -> Answer:
        kept = [v for v in verdicts if v.kept]
        if NOT_IN_SOURCES.lower() in " ".join(reply.split()).lower():
            return self._fallback(answer, "the model found no answer in the sources", verdicts)
        if not verdicts:
            return self._fallback(answer, "empty reply", verdicts)
        if not kept or len(kept) / len(verdicts) < self.settings.llm_min_kept:
            return self._fallback(answer, f"{len(kept)} of {len(verdicts)} sentences verified", verdicts)
        return self._generated(answer, verdicts)

    def _generated(self, answer: Answer, verdicts: list[Verdict], streaming: bool = False) -> Answer:
        kept = [v for v in verdicts if v.kept]
        numbers = {old: new for new, old in enumerate(dict.fromkeys(n for v in kept for n in v.cites), start=1)}
        by_n = {c.n: c for c in answer.citations}
        citations = [replace(by_n[old], n=new) for old, new in numbers.items()]
        verified = [VerifiedSentence(v.statement, tuple(numbers[n] for n in v.cites), v.quotes) for v in kept]
        body = " ".join(f"{v.text} " + "".join(f"[{n}]" for n in v.cites) for v in verified)
        text = "\n\n".join([*answer.notices, body])  # English only, so there is no "sources are in English" line
        return replace(answer, text=text, citations=citations, sentences=[], mode="generated",
                       verified=verified, generation=_tally(verdicts, "", streaming))

    def _fallback(self, answer: Answer, reason: str, verdicts: list[Verdict]) -> Answer:
        log.warning("generated answer not shown, quotes instead: %s", reason)
        return replace(answer, generation=_tally(verdicts, reason))


def _spans(answer: Answer) -> dict[int, str]:
    return {c.n: c.quote for c in answer.citations}


def _tally(verdicts: list[Verdict], fallback: str, streaming: bool = False) -> dict:
    dropped: dict[str, int] = {}
    for v in verdicts:
        if not v.kept:
            dropped[v.reason] = dropped.get(v.reason, 0) + 1
    return {"sentences": len(verdicts), "kept": sum(v.kept for v in verdicts), "dropped": dropped,
            "fallback": fallback, **({"streaming": True} if streaming else {})}


def _describe(exc: BaseException) -> str:
    text = re.sub(r"\s+", " ", str(exc))[:160]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
