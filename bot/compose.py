"""Compose a grounded answer from retrieved passages without a generative model.

Every answer sentence is a verbatim sentence of a retrieved passage, followed by `[n]` where citation `n`
is that passage. Steps:
1. score each sentence of the candidate passages: cosine between the question vector and the sentence
   vector (computed at ingest), plus the share of the question's weighted key terms the sentence holds
   (half credit for terms only in its section heading or its source's name), plus a small bonus for the
   passage's fused rank and for holding what the question asks for (a count, a dose, a duration, a name);
   sentences from other sources than the one a question names ("in BACLAD") are penalized;
2. keep the best sentence and up to `max_answer_sentences - 1` runners-up that score close to it, share its
   most distinctive matched term, and are not near-duplicates from another document; pull in the sentence
   before one that opens with "It"/"This"/... so it reads;
3. abstain when the best score is low, when the chosen sentences hold too little of the question's
   key-term weight, or when much of that weight is in words no source uses ("Can baclofen treat
   migraine?" matches baclofen passages well, but nothing says migraine);
4. group sentences by passage (best group first, source order inside a group) and number citations in
   order of appearance.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from bot.schema import AnswerSentence, Citation, Passage
from bot.text import rarity

LEXICAL_WEIGHT = 0.5
CONTEXT_CREDIT = 0.5  # a key term found only in the section heading or the source's name counts half
RANK_WEIGHT = 0.04
ANSWER_TYPE_BONUS = 0.08  # the sentence holds the kind of thing the question asks for (a count, a dose, ...)
OTHER_SOURCE_PENALTY = 0.4  # the question names a source ("in BACLAD") and this sentence is from another
_NUMBER = r"(?<![\w.])(?!(?:19|20)\d\d\b)\d[\d,.]*"  # a number that is not a year
_CAPITALIZED_NAME = r"\b[A-Z][a-z]+(?:,| and) [A-Z][a-z]+|\bcolleagues\b|\b(?:sole )?author"
ANSWER_TYPES = [  # (what the question asks, what an answering sentence contains)
    (r"\bhow many\b|\bnumber of\b", rf"{_NUMBER}|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|half)\b"),
    (r"\bhow long\b|\bduration\b|\bfor how many (?:days|weeks|months)", rf"{_NUMBER}\s*(?:-|\s)?(?:days?|weeks?|months?|years?)\b|\bone year\b|\b\d+-(?:week|month|year)\b"),
    (r"\b(?:what|which|average|maximum|max|target|starting|usual|effective|same) (?:dose|dosage)|\bdose range\b|\bhow much (?:baclofen|of)\b|\bhow many mg\b",
     r"\bmg\b"),
    (r"\b(?:what|which) (?:percentage|percent|proportion|share|fraction|rate)|\bhow (?:common|often|likely)\b|\bwhat share\b",
     r"%|\bpercent|\bhalf\b"),
    (r"\bodds ratio|\brisk ratio|\bp[- ]value|\bconfidence interval", rf"{_NUMBER}"),
    (r"\bwho\b", _CAPITALIZED_NAME),
    (r"\bwhen\b|\bwhat year\b|\bwhich year\b", r"\b(?:19|20)\d\d\b"),
]
ANSWER_TYPES = [(re.compile(q, re.IGNORECASE), re.compile(a)) for q, a in ANSWER_TYPES]
ANCHOR_RATIO = 0.8
MIN_UNKNOWN_RARITY = 0.5  # one fairly rare missing word ("migraine"), or two common ones
DUPLICATE_COSINE = 0.92
DUPLICATE_OVERLAP = 0.7
ANAPHORA = re.compile(r"^(It|Its|This|These|They|Their|He|She|His|Her|That|Those|Such|Similarly|However|Since then)\b")


@dataclass
class ScoredSentence:
    passage: Passage
    index: int  # sentence number within the passage
    score: float
    dense: float
    matched: frozenset[str]  # key terms found in the sentence or its heading / source name
    vector: np.ndarray
    words: frozenset[str]  # all terms of the sentence (from the index's cache)

    @property
    def span(self) -> tuple[int, int]:
        return self.passage.sentence_spans[self.index]

    @property
    def text(self) -> str:
        return self.passage.sentence_text(self.index)


@dataclass
class Composition:
    text: str
    sentences: list[AnswerSentence]
    citations: list[Citation]
    confidence: float
    coverage: float


def term_weights(key_terms: dict[str, str], idf) -> dict[str, float]:
    """Weight of each key term: its idf; a term no passage contains gets the top idf scaled by how rare the
    word is in general English (a missing "migraine" counts fully, a missing "stock" much less)."""
    known = {t: idf(t) for t in key_terms}
    ceiling = max([v for v in known.values() if v is not None], default=3.0) * 1.2
    return {t: (v if v is not None else ceiling * rarity(key_terms[t])) for t, v in known.items()}


@dataclass(frozen=True)
class QuestionProfile:
    """What sentence scoring needs to know about the question besides its vector."""

    weights: dict[str, float]  # key term -> weight
    answer_patterns: tuple[re.Pattern, ...]  # what an answering sentence looks like (a number, a dose...)
    named_sources: frozenset[str] | None  # doc ids the question singles out, if any
    naming_terms: frozenset[str]  # the key terms that single them out ("baclad")
    context_terms: Callable[[Passage], frozenset[str]]  # terms of its heading and its source's name (cached)
    sentence_terms: Callable[[Passage], list[frozenset[str]]]  # terms of each sentence (cached)


def score_sentences(query_vector: np.ndarray, profile: QuestionProfile, passages: list[Passage],
                    vectors: dict[str, np.ndarray]) -> list[ScoredSentence]:
    weights = profile.weights
    total = sum(weights.values())
    scored = []
    for rank, passage in enumerate(passages):
        matrix = vectors.get(passage.id)
        if matrix is None:
            continue
        dense = matrix @ query_vector
        context_terms = profile.context_terms(passage)
        prior = RANK_WEIGHT / (1 + rank)
        if profile.named_sources and passage.source.doc_id not in profile.named_sources:
            prior -= OTHER_SOURCE_PENALTY
        named_here = profile.naming_terms if profile.named_sources and passage.source.doc_id in profile.named_sources \
            else frozenset()
        sentence_terms = profile.sentence_terms(passage)
        for i in range(len(passage.sentence_spans)):
            text = passage.sentence_text(i)
            own = sentence_terms[i] | named_here  # a sentence of the named study is about it, named or not
            in_sentence = {t for t in weights if t in own}
            in_context = {t for t in weights if t in context_terms} - in_sentence
            lexical = (sum(weights[t] for t in in_sentence) + CONTEXT_CREDIT * sum(weights[t] for t in in_context)) / total \
                if total else 0.0
            bonus = ANSWER_TYPE_BONUS if any(p.search(text) for p in profile.answer_patterns) else 0.0
            score = float(dense[i]) + LEXICAL_WEIGHT * lexical + prior + bonus
            scored.append(ScoredSentence(passage, i, score, float(dense[i]), frozenset(in_sentence | in_context),
                                         matrix[i], sentence_terms[i]))
    scored.sort(key=lambda s: -s.score)
    return scored


def expected_answer_patterns(question: str) -> tuple[re.Pattern, ...]:
    return tuple(answer for asks, answer in ANSWER_TYPES if asks.search(question))


def unknown_terms(key_terms: dict[str, str], weights: dict[str, float], idf) -> tuple[float, float]:
    """For the key terms no passage contains: their share of the question's weight, and their summed rarity."""
    missing = [t for t in weights if idf(t) is None]
    total = sum(weights.values())
    share = sum(weights[t] for t in missing) / total if total else 0.0
    return share, sum(rarity(key_terms[t]) for t in missing)


def coverage(weights: dict[str, float], chosen: list[ScoredSentence]) -> float:
    """Share of the question's key-term weight that the chosen evidence contains (1.0 with no key terms)."""
    total = sum(weights.values())
    if not total:
        return 1.0
    present = set().union(*(s.matched for s in chosen)) if chosen else set()
    return sum(weights[t] for t in present) / total


def select_sentences(scored: list[ScoredSentence], weights: dict[str, float], max_sentences: int,
                     margin: float) -> list[ScoredSentence]:
    """The best sentence, plus close runners-up that are on the same topic and say something new."""
    if not scored:
        return []
    best = scored[0]
    anchors = _anchor_terms(best, weights)
    chosen = [best]
    for candidate in scored[1:]:
        if len(chosen) >= max_sentences or candidate.score < best.score - margin:
            break
        if anchors <= candidate.matched and not any(_near_duplicate(candidate, kept) for kept in chosen):
            chosen.append(candidate)
    return _with_antecedents(chosen, scored)


def _anchor_terms(best: ScoredSentence, weights: dict[str, float]) -> frozenset[str]:
    """The most distinctive key terms the best sentence matched ("alpadir"): extra sentences must match them too."""
    if not best.matched:
        return frozenset()
    top = max(weights[t] for t in best.matched)
    return frozenset(t for t in best.matched if weights[t] >= ANCHOR_RATIO * top)


def _near_duplicate(a: ScoredSentence, b: ScoredSentence) -> bool:
    """Two sentences from different documents saying the same thing (a document does not repeat itself)."""
    if a.passage.source.doc_id == b.passage.source.doc_id:
        return a.passage.id == b.passage.id and a.index == b.index
    if float(a.vector @ b.vector) >= DUPLICATE_COSINE:
        return True
    ta, tb = a.words, b.words
    return bool(ta and tb) and len(ta & tb) / min(len(ta), len(tb)) >= DUPLICATE_OVERLAP


def _with_antecedents(chosen: list[ScoredSentence], scored: list[ScoredSentence]) -> list[ScoredSentence]:
    """Add the previous sentence of the same passage before any chosen sentence that opens with a pronoun."""
    lookup = {(s.passage.id, s.index): s for s in scored}
    result = list(chosen)
    for sentence in chosen:
        key = (sentence.passage.id, sentence.index - 1)
        if sentence.index > 0 and ANAPHORA.match(sentence.text) and key in lookup and lookup[key] not in result:
            result.append(lookup[key])
    return result


def render(chosen: list[ScoredSentence]) -> tuple[str, list[AnswerSentence], list[Citation]]:
    """Order sentences (best passage first, source order within it), number citations, build the text."""
    groups: dict[str, list[ScoredSentence]] = {}
    for sentence in sorted(chosen, key=lambda s: -s.score):
        groups.setdefault(sentence.passage.id, []).append(sentence)
    parts, sentences, citations = [], [], []
    for n, members in enumerate(groups.values(), start=1):
        members.sort(key=lambda s: s.span[0])
        passage = members[0].passage
        for s in members:
            start, end = s.span
            sentences.append(AnswerSentence(s.text, n, passage.id, start, end, round(s.score, 4)))
            parts.append(f"{s.text} [{n}]")
        first, last = members[0].span[0], members[-1].span[1]
        citations.append(Citation(
            n=n, title=passage.title, url=passage.url, passage_id=passage.id, start=first, end=last,
            quote=passage.text[first - passage.start:last - passage.start], heading=passage.heading,
            passage_text=passage.text, passage_start=passage.start, spans=tuple(s.span for s in members)))
    return _join(parts), sentences, citations


def _join(parts: list[str]) -> str:
    text = ""
    for part in parts:
        if "\n" in part:
            text = (text.rstrip() + "\n\n" if text else "") + part + "\n\n"
        else:
            text += ("" if not text or text.endswith("\n") else " ") + part
    return text.strip()


def compose_answer(question: str, query_vector: np.ndarray, key_terms: dict[str, str], passages: list[Passage],
                   vectors: dict[str, np.ndarray], idf, named: tuple[frozenset[str], frozenset[str]],
                   context_terms: Callable[[Passage], frozenset[str]],
                   sentence_terms: Callable[[Passage], list[frozenset[str]]], *, min_score: float,
                   min_coverage: float, max_unknown: float, max_sentences: int, margin: float) -> Composition | None:
    """A grounded composition, or None when the evidence does not answer the question."""
    weights = term_weights(key_terms, idf)
    named_docs, naming_terms = named
    profile = QuestionProfile(weights, expected_answer_patterns(question), named_docs or None, naming_terms,
                              context_terms, sentence_terms)
    scored = score_sentences(query_vector, profile, passages, vectors)
    chosen = select_sentences(scored, weights, max_sentences, margin)
    if not chosen:
        return None
    covered = coverage(weights, chosen)
    confidence = chosen[0].score
    unknown_share, unknown_rarity = unknown_terms(key_terms, weights, idf)
    if named_docs and chosen[0].passage.source.doc_id not in named_docs:
        min_score = max(min_score, min_score + OTHER_SOURCE_PENALTY)  # relief only for the sources asked about
    if confidence < min_score or covered < min_coverage or (unknown_share > max_unknown
                                                            and unknown_rarity >= MIN_UNKNOWN_RARITY):
        return None
    text, sentences, citations = render(chosen)
    return Composition(text, sentences, citations, confidence, covered)
