"""Metrics over results lines. Every metric is a plain function over plain data, so tests can check each
on tiny hand-computed cases. Definitions are in README.md ("Evaluation metrics").
"""
from __future__ import annotations

import math
import statistics


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100): the smallest value with at least q% of values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def source_matches(url: str, gold: list[str]) -> bool:
    """A cited URL matches a reference source when a reference (URL, DOI or fragment) occurs in it."""
    lowered = (url or "").lower()
    return any(g.lower() in lowered for g in gold if g)


def contains_all_groups(text: str, groups: list[list[str]]) -> bool:
    """`must` check: every group has at least one alternative in the text (case-insensitive)."""
    lowered = (text or "").lower()
    return all(any(alt.lower() in lowered for alt in group) for group in groups)


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
