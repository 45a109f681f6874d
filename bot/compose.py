"""Compose a grounded answer from evidence spans, without a generative model.

1. Every sentence of the retrieved passages is scored by the fitted sentence model (features.py), once for
   the whole question and once for each further part of a question that asks several things.
2. The best sentence anchors the first span; each further part adds the span of its own best sentence, and
   other sentences that score close to the best add theirs, within a length budget (scoring.Selection).
   A span keeps what its sentence leans on (spans.py).
3. One calibrated decision (answerability.py): the probability that these spans answer the question. Below
   the fitted threshold the bot says it cannot answer.
4. Spans are grouped by passage, best first; within a passage the spans that carry the answer come first (in
   document order), then those kept as context. Each is followed by `[n]`
   for its passage. The sentences that carry the answer are marked for emphasis.

Every word of the text is a verbatim slice of a cited passage, with its document offsets.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.answerability import ANSWERABILITY_FEATURES, answerability_features
from bot.evidence import Evidence
from bot.features import FEATURE_NAMES, Candidates, QuestionSignals, quantity_unmet, sentence_features
from bot.schema import AnswerSentence, Citation
from bot.scoring import AnswerModel, Selection
from bot.spans import Span, span_around

SUPPORT_ROWS = 3  # the best sentences the unknown-word support is measured against
DUPLICATE_COSINE = 0.92
DUPLICATE_OVERLAP = 0.7
STUDY = "study"  # the source kind of primary research (corpus front matter)


@dataclass
class Composition:
    text: str
    sentences: list[AnswerSentence]
    citations: list[Citation]
    confidence: float  # P(the spans answer the question), calibrated
    answered: bool  # False when the confidence is below the model's threshold


@dataclass
class Scores:
    whole: np.ndarray  # P(sentence answers the question), per candidate
    parts: list[np.ndarray]  # the same for each further part


def score_candidates(evidence: Evidence, model: AnswerModel) -> Scores:
    def score(signals: QuestionSignals) -> np.ndarray:
        return model.sentence.probabilities(sentence_features(signals, evidence.candidates), FEATURE_NAMES)

    return Scores(score(evidence.whole), [score(part) for part in evidence.parts])


def choose_spans(scores: Scores, candidates: Candidates, selection: Selection,
                 compared: frozenset[str] = frozenset()) -> tuple[list[Span], set[int]]:
    """The spans of the answer, best first, and the candidate rows that anchor them. `compared`: the documents
    a question puts side by side ("which ran longer, ALPADIR or Bacloville?"); each one the answer does not
    quote yet adds its best sentence's span, from `selection.compared_ratio` of the best one's probability."""
    if not len(candidates):
        return [], set()
    order = np.argsort(-scores.whole, kind="stable").tolist()
    best = order[0]
    chosen: list[tuple[Span, int]] = [(_span(candidates, best), best)]

    def room() -> bool:
        return len(chosen) < selection.max_spans and sum(s.words() for s, _ in chosen) < selection.max_words

    for part in scores.parts:
        row = int(np.argmax(part))
        if part[row] >= selection.part_min and room():
            _add(chosen, candidates, row)
    for row in _compared_rows(scores.whole, candidates, compared, {r for _, r in chosen},
                              selection.compared_ratio * scores.whole[best]):
        if room():
            _add(chosen, candidates, row)
    study = _study_behind(scores.whole, candidates, best, selection.study_ratio)
    if study is not None and room():
        _add(chosen, candidates, study)
    home = candidates.passages[candidates.rows[best][0]].source.doc_id
    for row in order[1:]:
        p = scores.whole[row]
        if not room() or p < selection.extra_min or p < selection.extra_ratio * scores.whole[best]:
            break
        if candidates.passages[candidates.rows[row][0]].source.doc_id == home or p >= selection.other_source_min:
            _add(chosen, candidates, row)
    return [span for span, _ in chosen], {row for _, row in chosen}


def _compared_rows(whole: np.ndarray, candidates: Candidates, compared: frozenset[str], anchors: set[int],
                   minimum: float) -> list[int]:
    """The best sentence of each compared document that no anchor comes from yet, best first, when it scores
    at least `minimum`: a comparison needs both sides. (A comparison's sentences all score low, each holding
    one side, so the bar is relative to the best one.)"""
    if len(compared) < 2:
        return []

    def doc(row: int) -> str:
        return candidates.passages[candidates.rows[row][0]].source.doc_id

    quoted = {doc(r) for r in anchors}
    best: dict[str, int] = {}
    for row in range(len(candidates)):
        d = doc(row)
        if d in compared and d not in quoted and (d not in best or whole[row] > whole[best[d]]):
            best[d] = row
    return sorted((r for r in best.values() if whole[r] >= minimum), key=lambda r: -whole[r])


def _study_behind(whole: np.ndarray, candidates: Candidates, best: int, ratio: float) -> int | None:
    """The best study sentence, when the best sentence is a secondary source's and the study's scores at least
    `ratio` of it (an article reporting research, and the research itself)."""
    def kind(row: int) -> str:
        return candidates.passages[candidates.rows[row][0]].source.kind

    if ratio > 1 or kind(best) == STUDY:
        return None
    studies = [r for r in range(len(candidates)) if kind(r) == STUDY]
    row = max(studies, key=lambda r: whole[r], default=None)
    return row if row is not None and whole[row] >= ratio * whole[best] else None


def _span(candidates: Candidates, row: int) -> Span:
    span = candidates.spans.get(row)
    if span is None:
        position, index = candidates.rows[row]
        span = candidates.spans[row] = span_around(candidates.passages[position], index)
    return span


def _add(chosen: list[tuple[Span, int]], candidates: Candidates, row: int) -> None:
    """Add the span of `row`, merged into an overlapping one, unless another document already says it."""
    span = _span(candidates, row)
    for i, (kept, anchor) in enumerate(chosen):
        if kept.overlaps(span):
            chosen[i] = (kept.union(span), anchor)
            return
    if any(_near_duplicate(candidates, row, anchor) for _, anchor in chosen):
        return
    chosen.append((span, row))


def _near_duplicate(candidates: Candidates, a: int, b: int) -> bool:
    """Two sentences from different documents saying the same thing."""
    pa, pb = (candidates.passages[candidates.rows[r][0]] for r in (a, b))
    if pa.source.doc_id == pb.source.doc_id:
        return False
    if float(candidates.vectors[a] @ candidates.vectors[b]) >= DUPLICATE_COSINE:
        return True
    ta, tb = candidates.terms[a], candidates.terms[b]
    return bool(ta and tb) and len(ta & tb) / min(len(ta), len(tb)) >= DUPLICATE_OVERLAP


def answer_probability(evidence: Evidence, scores: Scores, spans: list[Span], model: AnswerModel) -> float:
    return float(model.answerable.probabilities(answerability_row(evidence, scores, spans)[None, :],
                                                ANSWERABILITY_FEATURES)[0])


def answerability_row(evidence: Evidence, scores: Scores, spans: list[Span]) -> np.ndarray:
    candidates, whole = evidence.candidates, evidence.whole
    rows = [r for r, (position, index) in enumerate(candidates.rows)
            if any(s.passage.id == candidates.passages[position].id and index in s.indices for s in spans)]
    present = frozenset().union(*(candidates.terms[r] for r in rows)) if rows else frozenset()
    context = frozenset().union(*(candidates.context_terms[r] for r in rows)) if rows else frozenset()
    total = sum(whole.weights.values())

    def covered(terms: frozenset[str]) -> float:
        return sum(w for t, w in whole.weights.items() if t in terms) / total if total else 0.0

    best_row = int(np.argmax(scores.whole)) if len(scores.whole) else -1
    top = np.argsort(-scores.whole)[:SUPPORT_ROWS]
    support = centrality = 0.0
    if evidence.masked_vector is not None and len(top):
        centrality = 1.0 - float(whole.vector @ evidence.masked_vector)
        support = float((candidates.vectors[top] @ whole.vector).max()
                        - (candidates.vectors[top] @ evidence.masked_vector).max())
    named_match = best_row >= 0 and candidates.passages[candidates.rows[best_row][0]].source.doc_id in whole.named
    e5 = candidates.e5_vectors @ whole.e5_vector if candidates.e5_vectors is not None and whole.e5_vector is not None \
        else np.zeros(1)
    return answerability_features(
        best=float(scores.whole.max()) if len(scores.whole) else 0.0,
        weakest_part=min((float(p.max()) for p in scores.parts), default=float(scores.whole.max(initial=0.0))),
        dense_best=float((candidates.vectors @ whole.vector).max()) if len(candidates) else 0.0,
        e5_best=float(e5.max()), e5_margin=float(e5.max() - e5.mean()), coverage=covered(present),
        coverage_context=covered(present | context),
        unknown_share=evidence.unknown_share, unknown_rarity=evidence.unknown_rarity,
        unknown_count=evidence.unknown_count, unknown_support=support, unknown_centrality=centrality,
        known_terms=evidence.known_terms,
        named=bool(whole.named),
        named_match=named_match, parts=1 + len(evidence.parts), known_best=evidence.known_best,
        known_anchor=_known_anchor(whole.known, rows, best_row),
        known_unanswered=evidence.known_unanswered,
        quantity_unmet=quantity_unmet(whole.forms, [candidates.text(r) for r in rows]),
        compared_quoted=quotes_each(evidence.compared, spans))


def _known_anchor(known: np.ndarray | None, quoted: list[int], best_row: int) -> float:
    """How close the question is to the known questions that a quoted sentence answers, the closest of them:
    the answer is every quoted span, so a known question answered by its second span counts as much as one
    answered by its first (out of fold: out of scope refused 94.7% -> 95.3% in English, 87.4% -> 89.4%
    across languages, at the same false-refusal rate)."""
    if known is None or best_row < 0:
        return 0.0
    return float(known[[best_row, *quoted]].max())


def quotes_each(compared: frozenset[str], spans: list[Span]) -> bool:
    """Whether the spans quote every document a question compares (False when it compares none)."""
    return len(compared) >= 2 and compared <= {s.passage.source.doc_id for s in spans}


def compose_answer(evidence: Evidence, model: AnswerModel) -> Composition | None:
    """The grounded composition for the best spans (answered or not), or None with no candidates at all."""
    if not len(evidence.candidates):
        return None
    scores = score_candidates(evidence, model)
    spans, anchors = choose_spans(scores, evidence.candidates, model.selection, evidence.compared)
    confidence = answer_probability(evidence, scores, spans, model)
    emphasized = _emphasized_rows(scores, anchors, model.selection.emphasis_min)
    text, sentences, citations = render(spans, scores, evidence.candidates, emphasized)
    return Composition(text, sentences, citations, confidence, confidence >= model.threshold)


def _emphasized_rows(scores: Scores, anchors: set[int], minimum: float) -> set[int]:
    """The rows that carry the answer: the best sentence, each further part's best, and any other chosen
    sentence that scores at least `minimum` (an extra span kept for context is not emphasized)."""
    carrying = {int(np.argmax(scores.whole))} | {int(np.argmax(part)) for part in scores.parts}
    return carrying | {row for row in anchors if scores.whole[row] >= minimum}


def render(spans: list[Span], scores: Scores, candidates: Candidates,
           emphasized: set[int]) -> tuple[str, list[AnswerSentence], list[Citation]]:
    """Spans grouped by passage (best passage first; inside a passage the spans that carry the answer first,
    each group in document order), each followed by [n]. A citation quotes the stretch covering all its spans."""
    row_of = {(candidates.passages[p].id, i): r for r, (p, i) in enumerate(candidates.rows)}
    groups: dict[str, list[Span]] = {}
    for span in spans:
        groups.setdefault(span.passage.id, []).append(span)
    parts, sentences, citations = [], [], []

    def carries_answer(span: Span) -> bool:
        return any(row_of.get((span.passage.id, i)) in emphasized for i in span.indices)

    for n, members in enumerate(groups.values(), start=1):
        # the spans that carry the answer lead, in document order; spans kept only as context follow
        members.sort(key=lambda s: (not carries_answer(s), s.first))
        passage = members[0].passage
        first, last = min(members, key=lambda s: s.start), max(members, key=lambda s: s.end)
        marked = []
        for span in members:
            parts.append(f"{span.text} [{n}]")
            for index in span.indices:
                row = row_of.get((passage.id, index))
                start, end = passage.sentence_spans[index]
                emphasis = row in emphasized
                marked += [(start, end)] if emphasis else []
                sentences.append(AnswerSentence(passage.sentence_text(index), n, passage.id, start, end,
                                                round(float(scores.whole[row]), 4) if row is not None else 0.0,
                                                emphasis))
        quoted = tuple(passage.sentence_spans[i] for s in members for i in s.indices)
        citations.append(Citation(
            n=n, title=passage.title, url=passage.url, passage_id=passage.id, start=first.start,
            end=last.end, quote=passage.text[first.start - passage.start:last.end - passage.start],
            heading=passage.heading, passage_text=passage.text, passage_start=passage.start, spans=quoted,
            emphasis=tuple(marked)))
    return _join(parts), sentences, citations


def _join(parts: list[str]) -> str:
    text = ""
    for part in parts:
        if "\n" in part:
            text = (text.rstrip() + "\n\n" if text else "") + part + "\n\n"
        else:
            text += ("" if not text or text.endswith("\n") else " ") + part
    return text.strip()
