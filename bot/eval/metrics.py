"""Metrics over results lines. Every metric is a plain function over plain data, so tests can check each
on tiny hand-computed cases. Definitions are in README.md ("Evaluation metrics").
"""
from __future__ import annotations

import math
import re
import statistics
import string
from collections import Counter
from collections.abc import Sequence

MARKERS = re.compile(r"((?:\s*\[\d+\])+)")
ARTICLES = re.compile(r"\b(a|an|the)\b")


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100): the smallest value with at least q% of values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def source_matches(url: str, gold: list[str]) -> bool:
    """A URL matches the reference sources when one of them (URL, DOI or fragment) occurs in it."""
    lowered = (url or "").lower()
    return any(g.lower() in lowered for g in gold if g)


def contains_all_groups(text: str, groups: list[list[str]]) -> bool:
    """`must` check: every group has at least one alternative in the text (case-insensitive)."""
    lowered = (text or "").lower()
    return all(any(alt.lower() in lowered for alt in group) for group in groups)


# --- retrieval ---------------------------------------------------------------------------------------
def first_relevant_rank(ranked_urls: list[str], gold: list[str]) -> int | None:
    """1-based rank of the first retrieved passage from a reference source, or None."""
    return next((rank for rank, url in enumerate(ranked_urls, 1) if source_matches(url, gold)), None)


def hit_at_k(ranked_urls: list[str], gold: list[str], k: int) -> bool:
    rank = first_relevant_rank(ranked_urls, gold)
    return rank is not None and rank <= k


def reciprocal_rank(ranked_urls: list[str], gold: list[str]) -> float:
    rank = first_relevant_rank(ranked_urls, gold)
    return 1.0 / rank if rank else 0.0


# --- answer correctness ------------------------------------------------------------------------------
def normalize_answer(text: str) -> list[str]:
    """SQuAD normalization: lower case, drop punctuation, articles and citation markers, split on spaces."""
    text = re.sub(r"\[\d+\]", " ", text.lower())
    text = "".join(" " if ch in string.punctuation else ch for ch in text)
    return ARTICLES.sub(" ", text).split()


def token_f1(prediction: str, reference: str) -> float:
    """Harmonic mean of token precision and recall between answer and reference (SQuAD F1)."""
    predicted, gold = normalize_answer(prediction), normalize_answer(reference)
    common = sum((Counter(predicted) & Counter(gold)).values())
    if not predicted or not gold or not common:
        return float(predicted == gold)
    precision, recall = common / len(predicted), common / len(gold)
    return 2 * precision * recall / (precision + recall)


# --- citations (ALCE) --------------------------------------------------------------------------------
def split_statements(answer: str, notices: Sequence[str] = ()) -> list[tuple[str, list[int]]]:
    """The answer's statements with the citation numbers that follow each; safety notices are left out.
    Text before a run of [n] markers is one statement; trailing text without markers is a statement with none."""
    text = answer
    for notice in notices:
        text = text.replace(notice, " ")
    parts = MARKERS.split(text)
    statements = []
    for i in range(0, len(parts), 2):
        body = parts[i].strip()
        numbers = [int(n) for n in re.findall(r"\d+", parts[i + 1])] if i + 1 < len(parts) else []
        if body:
            statements.append((body, numbers))
    return statements


def citation_scores(statements, passages_by_n: dict[int, str], supports) -> dict:
    """ALCE citation recall and precision. `supports(statement, [passage texts]) -> bool` is the judge.

    recall: a statement counts when its cited passages together support it (no citations: not supported).
    precision: a citation counts unless it is irrelevant, i.e. it does not support the statement alone and
    removing it leaves the support of the remaining citations unchanged."""
    supported = precise = citations = 0
    for statement, numbers in statements:
        cited = [n for n in numbers if n in passages_by_n]
        whole = bool(cited) and supports(statement, [passages_by_n[n] for n in cited])
        supported += whole
        for n in cited:
            citations += 1
            alone = supports(statement, [passages_by_n[n]])
            rest = [passages_by_n[m] for m in cited if m != n]
            without = bool(rest) and supports(statement, rest)
            precise += alone or (whole and not without)
    return {"statements": len(statements), "supported": supported, "citations": citations, "precise": precise}


def latency_summary(records: list[dict]) -> dict:
    values = [r["latency_ms"] for r in records if isinstance(r.get("latency_ms"), (int, float))]
    return {
        "latency_p50_ms": _round(percentile(values, 50)),
        "latency_p95_ms": _round(percentile(values, 95)),
        "latency_mean_ms": _round(statistics.fmean(values)) if values else None,
    }


def _round(value, digits: int = 2):
    return None if value is None else round(value, digits)


def ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 4) if denominator else None
