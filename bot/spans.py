"""Evidence spans: the unit an answer quotes. A span is one or more contiguous sentences of one passage.

A sentence is never quoted without what it leans on:
- a sentence that opens by pointing back ("It ...", "These ...", "However, ...") keeps the sentence before it;
- a sentence that introduces what follows (one ending in ":") keeps the units after it; the splitter already
  joins a short list with its introduction into one unit ("... include:\\n- Upset stomach\\n- ...");
- a sentence followed by one that lists what it introduced ("There are also side effects ... These side
  effects include difficulty breathing, seizures, ...") keeps that list.

These are rules about how English text refers within itself (a closed class of pronouns and connectives),
not about any topic. Offsets are document offsets, so a span's quote is always the exact source text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from bot.schema import Passage

BACK_REFERENCE = re.compile(
    r"^(?:It|Its|This|These|Those|They|Their|Them|That|Such|He|She|His|Her|Both|Neither|Either|Similarly|"
    r"However|Instead|Otherwise|Also|Still|Yet|Then|Thus|Hence|Therefore|Meanwhile|Likewise|Moreover|Furthermore|"
    r"Nevertheless|Nonetheless|In (?:addition|contrast|turn|particular)|As a result|For (?:this|that) reason|"
    r"Because of (?:this|that)|Since then|On the other hand|By contrast|Of these|Of those|Among them|"
    r"The (?:same|latter|former|results?|findings?|difference|rest|others?)\b)\b")
LIST_OPENER = re.compile(r"^(?:These|Those|They|Such|The (?:most common )?(?:ones|effects|symptoms))\b"
                         r"[^.]*?\b(?:include|includes|included|including|are|were)\b")
INTRODUCES_NEXT = re.compile(r":\s*$")
MAX_SPAN_SENTENCES = 4


@dataclass(frozen=True)
class Span:
    """Sentences first..last (inclusive) of a passage."""

    passage: Passage
    first: int
    last: int

    @property
    def start(self) -> int:
        return self.passage.sentence_spans[self.first][0]

    @property
    def end(self) -> int:
        return self.passage.sentence_spans[self.last][1]

    @property
    def text(self) -> str:
        return self.passage.text[self.start - self.passage.start:self.end - self.passage.start]

    @property
    def indices(self) -> range:
        return range(self.first, self.last + 1)

    def words(self) -> int:
        return self._words

    @cached_property
    def _words(self) -> int:  # a span's length is asked for again and again while an answer is chosen
        return len(self.text.split())

    def overlaps(self, other: Span) -> bool:
        return self.passage.id == other.passage.id and self.first <= other.last and other.first <= self.last

    def union(self, other: Span) -> Span:
        return Span(self.passage, min(self.first, other.first), max(self.last, other.last))


def points_back(text: str) -> bool:
    return bool(BACK_REFERENCE.match(text.lstrip("\"'“‘(")))


def lists_what_came_before(text: str) -> bool:
    return bool(LIST_OPENER.match(text.lstrip("\"'“‘("))) and (text.count(",") >= 1 or "\n" in text)


def span_around(passage: Passage, index: int) -> Span:
    """The smallest span holding sentence `index` and what it leans on, at most MAX_SPAN_SENTENCES long."""
    count = len(passage.sentence_spans)
    first = last = index
    while first > 0 and points_back(passage.sentence_text(first)) and last - first + 1 < MAX_SPAN_SENTENCES:
        first -= 1
    while last + 1 < count and last - first + 1 < MAX_SPAN_SENTENCES and (
            INTRODUCES_NEXT.search(passage.sentence_text(last))
            or lists_what_came_before(passage.sentence_text(last + 1))):
        last += 1
    return Span(passage, first, last)
