"""Everything composing needs to know about one question: its signals, and the candidate sentences.

Term weights come from the index (corpus idf) and from general English (how rare a word is, wordfreq): a
word carries as much as it is specific, and a word no source uses is weighed by how rare it is, since a
missing "migraine" says more than a missing "kind".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from bot.features import Candidates, QuestionSignals
from bot.known_questions import KnownMatch
from bot.question import QuestionShape, without_exclusions
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
    known_best: float = 0.0  # closeness to the nearest known question the sources answer (known_questions.py)
    known_unanswered: float = 0.0  # ...and to the nearest one they do not
    compared: frozenset[str] = frozenset()  # documents the question puts side by side (PassageIndex.compared_sources)



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


def own_text(shape: QuestionShape) -> str | None:
    """What a follow-up asks in its own words, when it is read with the earlier question it stands on."""
    return without_exclusions(shape.text)[0] if shape.subject else None


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
                   masked_vector: np.ndarray | None = None,
                   known: KnownMatch | None = None, own_vector: np.ndarray | None = None,
                   compared: frozenset[str] = frozenset()) -> Evidence:
    """The question's signals (whole and per part) and the candidate sentences of the passages. `known`: the
    known questions and the whole question's similarities to them (known_questions.py). `own_vector`: a
    follow-up's own words embedded (own_text()), when it is read with an earlier question."""
    whole = _signals(index, shape.scoring_text, vectors[0], shape.scoring_text, vectors[0], e5_vector, shape.forms,
                     named, shape.excluded)
    if own_vector is not None:
        own_weights, _ = term_weights(index, question_words(index, own_text(shape) or ""))
        whole = replace(whole, own_vector=own_vector, own_weights=own_weights)
    parts = tuple(_signals(index, shape.scoring_text, vectors[0], part, vector, e5_vector, forms, named,
                           shape.excluded)
                  for part, vector, forms in zip(shape.parts, vectors[1:], shape.part_forms, strict=True)) \
        if len(shape.parts) > 1 else ()
    known_terms, unknown = term_weights(index, question_words(index, shape.scoring_text))
    ceiling = max(known_terms.values(), default=3.0)
    unknown_weight = sum(ceiling * r for r in unknown.values())
    total = sum(known_terms.values()) + unknown_weight
    candidates = index.candidates(passages, search_terms)
    known_best = known_unanswered = 0.0
    if known is not None and len(known.questions):
        memory, whole_sims = known.questions, known.whole
        texts = [candidates.text(r) for r in range(len(candidates))]
        known_best, known_unanswered = memory.best(whole_sims), memory.best(whole_sims, answered=False)
        whole = replace(whole, known=memory.sentence_scores(whole_sims, texts))
        parts = tuple(replace(p, known=memory.sentence_scores(known.of_part(n, p.part_vector), texts))
                      for n, p in enumerate(parts))
    return Evidence(whole, parts, candidates,
                    unknown_share=unknown_weight / total if total else 0.0,
                    unknown_rarity=sum(unknown.values()), unknown_count=len(unknown), known_terms=len(known_terms),
                    masked_vector=masked_vector, known_best=known_best, known_unanswered=known_unanswered,
                    compared=compared)


