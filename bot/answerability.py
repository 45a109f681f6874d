"""Signals for one decision: do the chosen spans answer the question, or should the bot say it can't?

Question-level, all general: how well the best sentence scored (for the question and for its weakest part),
how close it is in meaning, how much of the question's term weight the chosen spans hold, how much of that
weight is in words no source uses, weighted by how rare each word is in English (a missing "migraine" says
more than a missing "kind"), how much of the question's meaning those words carry (`unknown_centrality`:
1 - cosine of the question with and without them; "kind" carries little, "autism" the whole topic), and
whether they bring the question closer to the best sentences or push it away (`unknown_support`: "sleepy"
moves it towards "drowsiness", "autism" away from everything), and how close the question is to questions other
readers asked, overall and among those a quoted sentence answers (`known_best`, `known_anchor`), against how
close it is to questions the sources did not answer (`known_unanswered`, `known_contrast`), and whether it
asks for a quantity ("how many", "how much", "how long") that no chosen sentence holds (`quantity_unmet`), and
whether it compares documents it names and the chosen spans quote each of them (`compared_quoted`: each
sentence of a comparison holds one side and scores low alone).
A logistic model
fitted on answerable and out-of-scope questions turns them into a probability; its threshold is picked on
held-out predictions (`python -m bot.fit`).
"""
from __future__ import annotations

import math

import numpy as np

ANSWERABILITY_FEATURES = (
    "bias", "best", "best_logit", "weakest_part", "dense_best", "e5_best", "e5_margin", "coverage", "coverage_context",
    "unknown_share", "unknown_rarity", "unknown_count", "unknown_support", "unknown_support_x_share",
    "unknown_centrality", "unknown_recovery", "unknown_centrality_x_support", "known_terms", "named_match",
    "named_miss", "parts", "known_best", "known_anchor", "known_unanswered", "known_contrast", "quantity_unmet",
    "compared_quoted",
)

# The direction each signal can only push, whatever the tuning set says: a better-scoring sentence or more
# of the question covered never makes an answer less likely; more of the question's meaning in words no source
# uses never makes it more likely. The fit keeps these signs, so that two correlated signals cannot cancel
# each other out in a way that fits the tuning questions and no others (unsigned ones are free).
DIRECTION = {
    "best": 1, "best_logit": 1, "weakest_part": 1, "dense_best": 1, "e5_best": 1, "e5_margin": 1,
    "coverage": 1, "coverage_context": 1, "named_match": 1,
    "known_anchor": 1, "known_unanswered": -1, "known_contrast": 1,
    "unknown_share": -1, "unknown_centrality": -1, "named_miss": -1, "quantity_unmet": -1,
    "compared_quoted": 1,
}


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def answerability_features(*, best: float, weakest_part: float, dense_best: float, e5_best: float, e5_margin: float,
                           coverage: float, coverage_context: float, unknown_share: float,
                           unknown_rarity: float, unknown_count: int, unknown_support: float,
                           unknown_centrality: float, known_terms: int, named: bool,
                           named_match: bool, parts: int, known_best: float = 0.0,
                           known_anchor: float = 0.0, known_unanswered: float = 0.0,
                           quantity_unmet: bool = False, compared_quoted: bool = False) -> np.ndarray:
    values = {
        "bias": 1.0, "best": best, "best_logit": _logit(best), "weakest_part": weakest_part,
        "dense_best": dense_best, "e5_best": e5_best, "e5_margin": e5_margin, "coverage": coverage,
        "coverage_context": coverage_context,
        "unknown_share": unknown_share, "unknown_rarity": unknown_rarity, "unknown_count": float(unknown_count),
        "unknown_support": unknown_support, "unknown_support_x_share": unknown_support * unknown_share,
        "unknown_centrality": unknown_centrality,
        "unknown_recovery": max(-3.0, min(3.0, unknown_support / max(unknown_centrality, 0.02))),
        "unknown_centrality_x_support": unknown_centrality * unknown_support,
        "known_terms": math.log1p(known_terms), "named_match": float(named and named_match),
        "named_miss": float(named and not named_match), "parts": float(parts),
        "known_best": known_best, "known_anchor": known_anchor, "known_unanswered": known_unanswered,
        "known_contrast": known_anchor - known_unanswered, "quantity_unmet": float(quantity_unmet),
        "compared_quoted": float(compared_quoted),
    }
    return np.array([values[name] for name in ANSWERABILITY_FEATURES], dtype=np.float32)
