"""Everything composing needs to know about one question: its signals, and the candidate sentences.

Term weights come from the index (corpus idf) and from general English (how rare a word is, wordfreq): a
word carries as much as it is specific, and a word no source uses is weighed by how rare it is, since a
missing "migraine" says more than a missing "kind".
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from bot.features import Candidates, QuestionSignals
from bot.question import QuestionShape
from bot.retrieval import PassageIndex
from bot.schema import Passage
from bot.text import key_terms, rarity

TOKEN_OR_PUNCT = re.compile(r"[\w'-]+|[?!.,]")


@dataclass(frozen=True)
class Evidence:
    """Everything composing needs to know about one question and its candidate sentences."""

    whole: QuestionSignals
    parts: tuple[QuestionSignals, ...]  # empty for a question that asks one thing
    candidates: Candidates
    unknown_share: float = 0.0  # of the question's term weight, in words no passage uses
    unknown_rarity: float = 0.0
    unknown_count: int = 0
    known_terms: int = 0
    masked_vector: np.ndarray | None = None  # the question without its unknown words, embedded



def term_weights(index: PassageIndex, words: dict[str, str]) -> tuple[dict[str, float], dict[str, float]]:
    """(known terms -> idf x rarity, unknown terms -> rarity): how much each word of the question says."""
    known, unknown = {}, {}
    for term, word in words.items():
        idf = index.bm25.idf(term)
        if idf is None:
            unknown[term] = rarity(word)
        else:
            known[term] = idf * rarity(word)
    return known, unknown


def question_words(index: PassageIndex, text: str) -> dict[str, str]:
    """Key terms (spelling corrected against the corpus) -> the word as typed."""
    correct = index.spelling.correct
    return {correct(t): w for t, w in key_terms(text).items()}


def masked_question(index: PassageIndex, text: str) -> str | None:
    """The question without the words no source uses, or None when it has none. Comparing how close the
    best sentences are to the question with and without them tells whether the sources speak of what
    those words mean ("sleepy": drowsiness) or not ("autism")."""
    unknown_words = {w for t, w in question_words(index, text).items() if index.bm25.idf(t) is None}
    if not unknown_words:
        return None
    kept = [w for w in TOKEN_OR_PUNCT.findall(text) if w.lower() not in unknown_words]
    return " ".join(kept).strip() or None


def _signals(index: PassageIndex, text: str, vector, part_text: str, part_vector, e5_vector, forms, named,
             excluded: str) -> QuestionSignals:
    weights, _ = term_weights(index, question_words(index, text))
    part_weights, _ = term_weights(index, question_words(index, part_text))
    correct = index.spelling.correct
    excluded_terms = frozenset(correct(t) for t in key_terms(excluded)) if excluded else frozenset()
    return QuestionSignals(vector, part_vector, e5_vector, weights, part_weights, excluded_terms, forms, named)


def build_evidence(index: PassageIndex, shape: QuestionShape, named: frozenset[str], search_terms: list[str],
                   passages: list[Passage], vectors: list[np.ndarray], e5_vector: np.ndarray | None,
                   masked_vector: np.ndarray | None = None) -> Evidence:
    """The question's signals (whole and per part) and the candidate sentences of the passages."""
    whole = _signals(index, shape.scoring_text, vectors[0], shape.scoring_text, vectors[0], e5_vector, shape.forms,
                     named, shape.excluded)
    parts = tuple(_signals(index, shape.scoring_text, vectors[0], part, vector, e5_vector, forms, named,
                           shape.excluded)
                  for part, vector, forms in zip(shape.parts, vectors[1:], shape.part_forms, strict=True)) \
        if len(shape.parts) > 1 else ()
    known, unknown = term_weights(index, question_words(index, shape.scoring_text))
    ceiling = max(known.values(), default=3.0)
    unknown_weight = sum(ceiling * r for r in unknown.values())
    total = sum(known.values()) + unknown_weight
    return Evidence(whole, parts, index.candidates(passages, search_terms),
                    unknown_share=unknown_weight / total if total else 0.0,
                    unknown_rarity=sum(unknown.values()), unknown_count=len(unknown), known_terms=len(known),
                    masked_vector=masked_vector)


