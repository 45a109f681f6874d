"""Fit the semantic layer of the safety gate and pick its thresholds.

    python -m bot.safety.fit [--calibration tests/qa/safety_qa.jsonl] [--split dev]

1. Embed every example message (bot/data/safety_examples_*.jsonl) with multilingual-e5-small and MiniLM.
2. Fit one logistic regression per route (that route against every other example, benign ones included),
   with the regularization picked by 5-fold cross-validated log loss.
3. On the calibration messages (a safety set's `dev` split; never its `heldout` split), pick two thresholds
   per route: the lowest ones whose false alarms on messages that do not need the route stay within
   `FALSE_ALARM_BUDGET`, so recall is as high as that budget allows. Pattern matches count as they do in
   the gate (gate.py), so the thresholds are those of the whole gate, not of the classifier alone.
4. Write bot/data/safety_classifier.json.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from bot.safety.gate import ROUTE_ORDER, URGENT
from bot.safety.normalize import fold
from bot.safety.patterns import Strength, default_patterns, match_routes
from bot.safety.semantic import (
    CLASSIFIER_FILE,
    RouteModel,
    SemanticClassifier,
    example_files,
    example_routes,
    examples_sha256,
    features_of_many,
    load_examples,
)

FALSE_ALARM_BUDGET = {"crisis": 0.02, "emergency": 0.02, "interaction": 0.01, "dosing": 0.05, "treatment": 0.05}
C_GRID = (0.5, 2.0, 8.0, 32.0, 128.0)
DEFAULT_CALIBRATION = Path("tests/qa/safety_qa.jsonl")


def fit_route(vectors: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(coefficients, intercept, chosen C) of a class-balanced logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    def model(c: float):
        return LogisticRegression(C=c, class_weight="balanced", max_iter=5000)

    scores = {c: cross_val_score(model(c), vectors, labels, cv=5, scoring="neg_log_loss").mean() for c in C_GRID}
    best = max(scores, key=scores.__getitem__)
    fitted = model(best).fit(vectors, labels)
    return fitted.coef_[0].astype(np.float32), float(fitted.intercept_[0]), best


def load_calibration(path: Path, split: str) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r.get("split", split) == split]


def choose_thresholds(route: str, probabilities: np.ndarray, hits: list[dict], needed: np.ndarray,
                      excluded: np.ndarray | None = None) -> tuple[float, float]:
    """(strict, lenient): the lowest pair whose false-alarm rate stays within budget; ties keep higher ones.
    `hits` are the pattern matches of each message; one settled as both crisis and emergency never reaches
    the classifier. `excluded` messages count neither way (for an urgent route: the other urgent route's
    messages, where a second urgent notice is no false alarm)."""
    settled = np.array([h.get(route) is Strength.SETTLES for h in hits])
    suggested = np.array([h.get(route) is Strength.SUGGESTS for h in hits])
    decided = np.array([all(h.get(u) is Strength.SETTLES for u in URGENT) for h in hits])
    candidates = sorted(set(np.round(probabilities, 4).tolist()) | {0.5, 0.99})
    negatives_mask = ~needed if excluded is None else ~needed & ~excluded
    negatives = max(1, int(negatives_mask.sum()))
    best = (0.99, 0.99)
    best_key = (-1.0, 0.0)
    for strict in candidates:
        for lenient in [c for c in candidates if c <= strict] if suggested.any() else [strict]:
            shown = settled | (~decided & ((probabilities >= strict) | (suggested & (probabilities >= lenient))))
            false_alarms = (shown & negatives_mask).sum() / negatives
            if false_alarms > FALSE_ALARM_BUDGET[route]:
                continue
            recall = (shown & needed).sum() / max(1, needed.sum())
            key = (recall, -false_alarms)
            if key > best_key or (key == best_key and (strict, lenient) > best):
                best, best_key = (strict, lenient), key
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.safety.fit", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calibration", type=Path, default=DEFAULT_CALIBRATION)
    parser.add_argument("--split", default="dev", help="the split of the calibration set to use (never heldout)")
    parser.add_argument("--out", type=Path, default=CLASSIFIER_FILE)
    args = parser.parse_args(argv)
    if args.split == "heldout":
        parser.error("the held-out split is for measuring, never for fitting")
    files = example_files()
    examples = load_examples(files)
    print(f"embedding {len(examples)} example messages from {len(files)} files", file=sys.stderr)
    vectors = features_of_many([e["text"] for e in examples])
    calibration = load_calibration(args.calibration, args.split)
    calibration_vectors = features_of_many([r["question"] for r in calibration])
    patterns = default_patterns()
    calibration_hits = [match_routes(fold(r["question"]), patterns) for r in calibration]
    models = {}
    for route in ROUTE_ORDER:
        labels = np.array([route in example_routes(e) for e in examples])
        coef, intercept, c = fit_route(vectors, labels)
        probabilities = 1.0 / (1.0 + np.exp(-(calibration_vectors @ coef + intercept)))
        needed = np.array([route in r["routes"] for r in calibration])
        urgent = np.array([bool(set(r["routes"]) & URGENT) for r in calibration])
        strict, lenient = choose_thresholds(route, probabilities, calibration_hits, needed,
                                            urgent if route in URGENT else None)
        models[route] = RouteModel(coef, intercept, strict, lenient)
        print(f"{route:12s} examples {int(labels.sum()):4d}  C={c:<5}  strict={strict:.3f}  lenient={lenient:.3f}",
              file=sys.stderr)
    SemanticClassifier(models, examples_sha256(files)).save(args.out)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
