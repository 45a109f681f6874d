"""The small records that flow out of the bot: passages, citations and answers.

`Answer.to_record()` is the one JSON shape evaluators, the REST API and the eval command all share:
`{"answer", "refused", "citations": [{"n", "title", "url", "quote", ...}], "contexts", ...}`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Route(StrEnum):
    """Which way a message went. The safety routes come first in what a visitor sees; the others say why
    there is no sourced answer. A StrEnum, so records and JSON carry the plain value ("crisis")."""

    ANSWER = "answer"
    REFUSED = "refused"  # the sources do not answer
    INVALID = "invalid"  # empty, too long, or not text
    UNAVAILABLE = "unavailable"  # no index, or the store could not be reached
    RATE_LIMITED = "rate_limited"
    TIMED_OUT = "timed_out"
    CRISIS = "crisis"
    EMERGENCY = "emergency"
    INTERACTION = "interaction"
    DOSING = "dosing"
    TREATMENT = "treatment"


@dataclass(frozen=True)
class Source:
    """A corpus document as a reader sees it in a citation."""

    doc_id: str
    title: str
    url: str
    kind: str = "article"
    authors: str = ""
    journal: str = ""
    year: int | None = None
    doi: str = ""


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved passage, ready to cite: its text, where it sits in its document, and how well it matched."""

    id: str
    source: Source
    heading: str
    text: str
    start: int  # offsets into the source document's text
    end: int
    sentence_spans: tuple[tuple[int, int], ...] = ()  # document offsets of each sentence
    score: float = 0.0

    @property
    def title(self) -> str:
        return self.source.title

    @property
    def url(self) -> str:
        return self.source.url

    def sentence_text(self, index: int) -> str:
        start, end = self.sentence_spans[index]
        return self.text[start - self.start:end - self.start]


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of an answer: a verbatim span of the passage its citation `n` points to."""

    text: str
    n: int
    passage_id: str
    start: int
    end: int
    score: float = 0.0
    emphasis: bool = False  # carries the answer (the rest of its span is context it leans on)


@dataclass(frozen=True)
class VerifiedSentence:
    """One sentence a language model wrote, kept because it passed verification against the spans it cites
    (`cites`: citation numbers; `quotes`: the cited source sentences that verified it)."""

    text: str
    cites: tuple[int, ...]
    quotes: tuple[str, ...]


@dataclass(frozen=True)
class Citation:
    n: int
    title: str
    url: str
    quote: str  # the exact source text from the first to the last quoted sentence of this passage
    passage_id: str
    start: int
    end: int
    heading: str = ""
    passage_text: str = ""
    passage_start: int = 0
    spans: tuple[tuple[int, int], ...] = ()  # exactly the quoted sentences, for highlighting
    emphasis: tuple[tuple[int, int], ...] = ()  # the quoted sentences that carry the answer


@dataclass
class Answer:
    text: str
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    passages: list[Passage] = field(default_factory=list)
    sentences: list[AnswerSentence] = field(default_factory=list)
    route: Route = Route.ANSWER
    notices: list[str] = field(default_factory=list)  # safety text shown before the sourced part
    safety_routes: list[str] = field(default_factory=list)  # every safety route whose notice is shown
    disclaimer: str = ""
    confidence: float = 0.0  # calibrated probability that the quoted spans answer the question
    language: str = "en"  # of the visitor's message; notices and refusals are in it, quotes stay in English
    mode: str = "extractive"  # or "generated": sentences written by the site's own model, each verified
    verified: list[VerifiedSentence] = field(default_factory=list)  # the generated sentences, in order
    generation: dict | None = None  # when a model was asked: sentences kept and dropped, and why it fell back

    def to_record(self) -> dict:
        """The results-line / API shape (without id, question and latency, which the caller adds)."""
        return {
            "answer": self.text,
            "refused": self.refused,
            "route": self.route,
            "citations": [
                {"n": c.n, "title": c.title, "url": c.url, "quote": c.quote, "passage_id": c.passage_id,
                 "start": c.start, "end": c.end, "passage": c.passage_text,
                 "emphasis": [list(span) for span in c.emphasis]}
                for c in self.citations
            ],
            "contexts": [p.text for p in self.passages],
            "retrieved": [{"passage_id": p.id, "url": p.url, "title": p.title, "score": round(p.score, 5)}
                          for p in self.passages],
            "notices": list(self.notices),
            "safety_routes": list(self.safety_routes),
            "disclaimer": self.disclaimer,
            "confidence": self.confidence,
            "language": self.language,
            "mode": self.mode,
            "verified_sentences": [{"text": v.text, "cites": list(v.cites), "quotes": list(v.quotes)}
                                   for v in self.verified],
            **({"generation": dict(self.generation)} if self.generation is not None else {}),
        }
