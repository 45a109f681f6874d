"""Cut a model's streamed text into complete sentences, each with the `[n]` markers that follow it.

A sentence is complete once its end punctuation is followed by whitespace and then something that is not a
marker (or the stream ends), so "…relaxant. [1] It…" keeps its "[1]". Nothing is released before that: a
partial sentence never reaches a visitor.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

MARKERS = r"(?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])*"
SENTENCE = re.compile(r"(.*?[.!?]" + MARKERS + r")(?=\s+[^\s\[])", re.S)
LINE_BREAK = re.compile(r"(.*?\S.*?)\n\s*(?=\S)", re.S)  # a list item or a line ends a sentence too


class SentenceCutter:
    """Feed text pieces in; get back each sentence as soon as it is known to be complete."""

    def __init__(self) -> None:
        self._buffer = ""

    def feed(self, piece: str) -> Iterator[str]:
        self._buffer += piece
        while True:
            match = _first_end(self._buffer)
            if match is None:
                return
            sentence, self._buffer = self._buffer[:match].strip(), self._buffer[match:].lstrip()
            if sentence:
                yield sentence

    def finish(self) -> Iterator[str]:
        rest, self._buffer = self._buffer.strip(), ""
        if rest:
            yield rest


def _first_end(text: str) -> int | None:
    ends = [m.end(1) for m in (SENTENCE.match(text), LINE_BREAK.match(text)) if m]
    return min(ends) if ends else None


def split_all(text: str) -> list[str]:
    """Every sentence of a complete reply."""
    cutter = SentenceCutter()
    return [*cutter.feed(text), *cutter.finish()]
