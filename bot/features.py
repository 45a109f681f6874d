"""General signals for "does this sentence answer this question?", one row per candidate sentence.

Every signal is about the relation between a question and a sentence, never about a topic word:
- dense: cosine of question (and of the question part being answered, and of a follow-up's own words without
  the earlier question it is read with) with the sentence vector;
- lexical: how much of the question's term weight the sentence holds, alone, with its section heading and
  source name, and with its neighbours (weight = corpus idf x how rare the word is in English);
- retrieval: the passage's fused rank and BM25 score;
- structure: position in the passage, length, whether it points back or introduces a list;
- named source: the question names a study and the sentence is (or is not) from it;
- known questions: how close the question is to questions other readers asked that this sentence answers
  (known_questions.py);
- calibration: whether the question is a follow-up read with an earlier one. It is the same for every
  candidate of a question, so it cannot change their order; only the calibration step (`python -m bot.fit`,
  CALIBRATION_FEATURES) weighs it: a question joined with an earlier one is farther from every sentence, so
  its raw scores run lower although its best sentence is right as often;
- answer type: each question form (how many, how long, who, why, yes/no, a list...) crossed with what the
  sentence holds (a number, a dose, a duration, a year, a name, a list, a reason, a negation). The weights of
  these pairs are fitted on labelled questions (`python -m bot.fit`), not set by hand.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from bot.question import FORM_NAMES
from bot.schema import Passage
from bot.spans import Span, lists_what_came_before, points_back

SHAPES = (  # what a sentence holds, by its surface form
    ("number", re.compile(r"(?<![\w.])(?!(?:19|20)\d\d\b)\d[\d,.]*"
                          r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|hundred|half|dozen)\b",
                          re.I)),
    ("dose", re.compile(r"\d\s*(?:mg|g|mcg|milligrams?)\b|\bmg/(?:day|kg)\b", re.I)),
    ("percent", re.compile(r"%|\bpercent\b|\bper cent\b", re.I)),
    ("duration", re.compile(r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve)"
                            r"[\s-](?:days?|weeks?|months?|years?|hours?)\b|\bdecades?\b", re.I)),
    ("year", re.compile(r"\b(?:19|20)\d\d\b")),
    ("name", re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+(?:and|&)\s+[A-Z][a-z]+|\s+et al)"
                        r"|\bcolleagues\b|\bauthors?\b|\b[A-Z]{3,}\b")),
    ("list", re.compile(r"\n\s*[-*\u2022]|,[^,]+,[^,]+\b(?:and|or)\b|:\s*$", re.M)),
    ("reason", re.compile(r"\b(?:because|since|due to|so that|therefore|as a result|reason|thus|which helps|in order to"
                          r"|by (?:\w+ing))\b", re.I)),
    ("negation", re.compile(r"\b(?:not|no|never|neither|nor|without|none)\b|n't\b", re.I)),
)
SHAPE_NAMES = tuple(name for name, _ in SHAPES)
BASE_FEATURES = (
    "bias", "dense", "dense_gap", "dense_part", "dense_part_gap", "dense_e5", "dense_e5_gap",
    "lexical", "lexical_context", "lexical_neighbours", "lexical_part", "excluded_overlap",
    "passage_rr", "bm25", "first_in_passage", "log_words", "points_back", "lists", "named_match", "named_other",
    "known", "known_gap", "dense_own", "dense_own_gap", "lexical_own", "follow_up",
)
# Signals that are the same for every candidate of a question: the ranker cannot use them, the calibration
# that turns its scores into probabilities does (fit.py, fit_sentences).
CALIBRATION_FEATURES = ("follow_up",)
FEATURE_NAMES = BASE_FEATURES + SHAPE_NAMES + tuple(f"{form}*{shape}" for form in FORM_NAMES for shape in SHAPE_NAMES)
INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}


@dataclass
class Candidates:
    """The sentences of the retrieved passages, flattened in passage-rank order, with what scoring needs."""

    passages: list[Passage]
    rows: list[tuple[int, int]]  # (position in passages, sentence index)
    vectors: np.ndarray  # sentence vectors of the main model, one row per candidate
    terms: list[frozenset[str]]
    context_terms: list[frozenset[str]]  # heading and source-name terms of the sentence's passage
    e5_vectors: np.ndarray | None = None  # multilingual vectors, when the index has them
    bm25: list[float] = field(default_factory=list)  # per passage, relative to the best
    spans: dict[int, Span] = field(default_factory=dict, repr=False, compare=False)  # row -> its span, once built

    def __len__(self) -> int:
        return len(self.rows)

    def text(self, row: int) -> str:
        position, index = self.rows[row]
        return self.passages[position].sentence_text(index)


@dataclass(frozen=True)
class QuestionSignals:
    """What the features need to know about the question (or one part of it)."""

    vector: np.ndarray
    part_vector: np.ndarray
    e5_vector: np.ndarray | None
    weights: dict[str, float]  # term -> weight, known terms only
    part_weights: dict[str, float]
    excluded_terms: frozenset[str]
    forms: frozenset[str]
    named: frozenset[str]  # doc ids the question singles out
    known: np.ndarray | None = None  # per candidate: closeness to the known questions it answers
    # A follow-up's own words, without the earlier question it is read with ("what about side effects?"
    # after a question on the Assadi trial): what is new in it. None: the question stands alone.
    own_vector: np.ndarray | None = None
    own_weights: dict[str, float] = field(default_factory=dict)


def _coverage(weights: dict[str, float], present: frozenset[str]) -> float:
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in present) / total if total else 0.0


# What a sentence must hold to answer a question that asks for a quantity, by question form: "how many" is
# answered by a number or a share, "how much" also by a dose, "how long" by a duration or a number.
QUANTITY_SHAPES = {"how_many": ("number", "percent"), "how_much": ("number", "dose", "percent"),
                   "how_long": ("duration", "number")}


def quantity_unmet(forms: frozenset[str], texts: list[str]) -> bool:
    """True when the question asks for a quantity and none of `texts` holds one of its kind: "how old were
    the volunteers?" answered with sentences that hold no number is answered with something else."""
    wanted = {SHAPE_NAMES.index(shape) for form in forms for shape in QUANTITY_SHAPES.get(form, ())}
    return bool(wanted) and not any(_shapes(text)[i] for text in texts for i in wanted)


@lru_cache(maxsize=8192)
def _shapes(text: str) -> np.ndarray:
    """What a sentence holds (SHAPES), read-only. Candidates are corpus sentences, so the same few hundred
    come back question after question: each is read once (about 5% of an answer's time otherwise)."""
    shapes = np.array([bool(pattern.search(text)) for _, pattern in SHAPES], dtype=np.float32)
    shapes.setflags(write=False)
    return shapes


def sentence_features(signals: QuestionSignals, candidates: Candidates) -> np.ndarray:
    """One row of FEATURE_NAMES per candidate sentence."""
    n = len(candidates)
    matrix = np.zeros((n, len(FEATURE_NAMES)), dtype=np.float32)
    if not n:
        return matrix
    dense = candidates.vectors @ signals.vector
    dense_part = candidates.vectors @ signals.part_vector
    matrix[:, INDEX["bias"]] = 1.0
    matrix[:, INDEX["dense"]] = dense
    matrix[:, INDEX["dense_gap"]] = dense - dense.max()
    matrix[:, INDEX["dense_part"]] = dense_part
    matrix[:, INDEX["dense_part_gap"]] = dense_part - dense_part.max()
    if candidates.e5_vectors is not None and signals.e5_vector is not None:
        e5 = candidates.e5_vectors @ signals.e5_vector
        matrix[:, INDEX["dense_e5"]] = e5
        matrix[:, INDEX["dense_e5_gap"]] = e5 - e5.max()
    if signals.known is not None and len(signals.known) == n:
        matrix[:, INDEX["known"]] = signals.known
        matrix[:, INDEX["known_gap"]] = signals.known - signals.known.max()
    dense_own = dense if signals.own_vector is None else candidates.vectors @ signals.own_vector
    matrix[:, INDEX["dense_own"]] = dense_own
    matrix[:, INDEX["dense_own_gap"]] = dense_own - dense_own.max()
    matrix[:, INDEX["follow_up"]] = float(signals.own_vector is not None)
    own_weights = signals.own_weights if signals.own_vector is not None else signals.weights
    forms = [FORM_NAMES.index(f) for f in signals.forms]
    neighbours = _neighbour_terms(candidates)
    for row, (position, index) in enumerate(candidates.rows):
        passage, text = candidates.passages[position], candidates.text(row)
        own, context = candidates.terms[row], candidates.context_terms[row]
        values = matrix[row]
        values[INDEX["lexical"]] = _coverage(signals.weights, own)
        values[INDEX["lexical_context"]] = _coverage(signals.weights, own | context)
        values[INDEX["lexical_neighbours"]] = _coverage(signals.weights, own | neighbours[row])
        values[INDEX["lexical_part"]] = _coverage(signals.part_weights, own | context)
        values[INDEX["lexical_own"]] = _coverage(own_weights, own | context)
        values[INDEX["excluded_overlap"]] = (len(own & signals.excluded_terms) / len(signals.excluded_terms)
                                             if signals.excluded_terms else 0.0)
        values[INDEX["passage_rr"]] = 1.0 / (1 + position)
        values[INDEX["bm25"]] = candidates.bm25[position] if candidates.bm25 else 0.0
        values[INDEX["first_in_passage"]] = float(index == 0)
        values[INDEX["log_words"]] = math.log1p(len(text.split()))
        values[INDEX["points_back"]] = float(points_back(text))
        values[INDEX["lists"]] = float(lists_what_came_before(text) or text.rstrip().endswith(":") or "\n" in text)
        if signals.named:
            inside = passage.source.doc_id in signals.named
            values[INDEX["named_match"]] = float(inside)
            values[INDEX["named_other"]] = float(not inside)
        shapes = _shapes(text)
        base = len(BASE_FEATURES)
        values[base:base + len(SHAPES)] = shapes
        for form in forms:
            start = base + len(SHAPES) * (1 + form)
            values[start:start + len(SHAPES)] = shapes
    return matrix


def _neighbour_terms(candidates: Candidates) -> list[frozenset[str]]:
    """For each candidate, the terms of the sentences just before and after it in its passage."""
    by_key = {key: row for row, key in enumerate(candidates.rows)}
    result = []
    for position, index in candidates.rows:
        around = [by_key.get((position, index + step)) for step in (-1, 1)]
        result.append(frozenset().union(*(candidates.terms[r] for r in around if r is not None)))
    return result
