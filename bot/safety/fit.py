"""Fit the semantic layer of the safety gate and pick its thresholds.

    python -m bot.safety.fit [--calibration FILE:SPLIT ...]

1. Embed every example message (bot/data/safety_examples_*.jsonl) and every calibration message (the
   safety set's `dev` split, the blind sets 1-15 and the small-talk blind set, each spent on its
   measurements, and the dev4 set of hard look-alikes; never a `heldout` split, an unspent blind set, or the
   spent blind sets 16-18 kept to check changes from outside) with multilingual-e5-small and MiniLM.
2. Fit one logistic regression per route (that route against every other message, benign ones included) on
   the examples and the calibration messages together, with the regularization picked by 5-fold
   cross-validated log loss on the examples. The calibration messages were written by independent writers
   as visitors type, so they are the best training data there is; to calibrate on them all the same, each
   calibration set is scored by a model fitted without it (cross-fitting, `out_of_set_logits`).
3. On those out-of-set scores, fit for each urgent route how the whole message and its parts combine
   (`fit_aggregate`; a part read alone can mislead), then, with each message scored as the gate scores it,
   pick two thresholds per route: the lowest ones whose false alarms on messages that do not need the route
   stay within `FALSE_ALARM_BUDGET`, so recall is as high as that budget allows. Pattern matches count as
   they do in the gate (gate.py), so the thresholds are those of the whole gate, not of the classifier alone.
4. Write bot/data/safety_classifier.json, with the digest of every file it was fitted on.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bot.safety.gate import DECIDING_ORDER, ROUTE_ORDER, SUGGESTED_BY, URGENT
from bot.safety.normalize import fold
from bot.safety.patterns import Strength, default_patterns, match_routes, respelled
from bot.safety.semantic import (
    CLASSIFIER_FILE,
    RouteModel,
    SemanticClassifier,
    aggregate_features,
    example_files,
    example_routes,
    examples_sha256,
    features_of_many,
    load_examples,
    parts_of,
)

# Crisis gets the most room: 988 above an answer costs a line, and the crisis messages the gate missed were
# the quiet ones (plans, goodbyes). Chosen by holding each calibration set out in turn (README, safety gate):
# the tightest budgets that kept urgent recall at its best there; crisis then went from 5% to 4%, checked on
# the spent sets outside the calibration (held-out split, blind sets 8-10: urgent recall kept, 3.5% lost one).
FALSE_ALARM_BUDGET = {"crisis": 0.04, "emergency": 0.03, "interaction": 0.03, "dosing": 0.05, "treatment": 0.05}
CARE_FLOOR = 0.5  # a care notice needs the route to be likelier than not; only urgent routes may go lower
C_GRID = (0.5, 2.0, 8.0, 32.0, 128.0)
AGGREGATED_ROUTES = URGENT  # routes whose whole-and-parts combination is fitted; care routes take the higher
AGGREGATE_C = 1.0
DEFAULT_CALIBRATION = ("tests/qa/safety_qa.jsonl:dev", "tests/qa/safety_blind_qa.jsonl:blind",
                       "tests/qa/safety_blind2_qa.jsonl:blind2", "tests/qa/safety_blind3_qa.jsonl:blind3",
                       "tests/qa/safety_dev4_qa.jsonl:dev4", "tests/qa/safety_blind4_qa.jsonl:blind4",
                       "tests/qa/safety_blind5_qa.jsonl:blind5", "tests/qa/blind_smalltalk_qa.jsonl:smalltalk",
                       "tests/qa/safety_blind6_qa.jsonl:blind6", "tests/qa/safety_blind7_qa.jsonl:blind7",
                       *(f"tests/qa/safety_blind{n}_qa.jsonl:blind{n}" for n in range(8, 16)))
# Splits kept for measuring, never calibrated on: the held-out split and the newest blind sets (16-23 are spent
# and check each change from outside the calibration; 24 and 25 were earlier rounds' blind sets, 26 is this one's).
NEVER_CALIBRATE = {"heldout", "blind16", "blind17", "blind18", "blind19", "blind20", "blind21", "blind22", "blind23",
                   "blind24", "blind25", "blind26"}


def choose_c(vectors: np.ndarray, labels: np.ndarray) -> float:
    """The regularization with the best 5-fold cross-validated log loss."""
    from sklearn.model_selection import cross_val_score

    scores = {c: cross_val_score(_model(c), vectors, labels, cv=5, scoring="neg_log_loss").mean() for c in C_GRID}
    return max(scores, key=scores.__getitem__)


def fit_route(vectors: np.ndarray, labels: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """(coefficients, intercept) of a class-balanced logistic regression."""
    fitted = _model(c).fit(vectors, labels)
    return fitted.coef_[0].astype(np.float32), float(fitted.intercept_[0])


def _model(c: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight="balanced", max_iter=5000)


@dataclass(frozen=True)
class Calibration:
    """The calibration messages, embedded whole and in parts, and the set each came from."""

    rows: list[dict]
    vectors: np.ndarray
    part_vectors: np.ndarray
    owners: list[int]  # the message each part belongs to
    sets: np.ndarray  # the index of the `file:split` each message came from

    def needs(self, route: str) -> np.ndarray:
        return np.array([route in r["routes"] for r in self.rows])

    @property
    def urgent(self) -> np.ndarray:
        return np.array([bool(set(r["routes"]) & URGENT) for r in self.rows])

    @property
    def words(self) -> list[int]:
        return [len(r["question"].split()) for r in self.rows]

    def subset(self, kept: np.ndarray) -> Calibration:
        """The messages where `kept` is true, with their parts."""
        new_index = np.cumsum(kept) - 1
        part_kept = np.array([bool(kept[o]) for o in self.owners], dtype=bool)
        return Calibration([r for r, k in zip(self.rows, kept, strict=True) if k], self.vectors[kept],
                           self.part_vectors[part_kept] if len(self.owners) else self.part_vectors,
                           [int(new_index[o]) for o in self.owners if kept[o]], self.sets[kept])

    def logits(self, coef: np.ndarray, intercept: float) -> tuple[np.ndarray, list[list[float]]]:
        return message_logits(coef, intercept, self.vectors, self.part_vectors, self.owners)


def out_of_set_logits(examples: np.ndarray, labels: np.ndarray, calibration: Calibration, route: str,
                      c: float) -> tuple[np.ndarray, list[list[float]]]:
    """Each calibration message's logits (whole and parts) from a model fitted on the examples and on every
    calibration set but its own, so that thresholds are chosen on scores the model did not learn from."""
    needed = calibration.needs(route)
    whole = np.zeros(len(calibration.rows))
    parts: list[list[float]] = [[] for _ in calibration.rows]
    for held_out in np.unique(calibration.sets):
        kept = calibration.sets != held_out
        coef, intercept = fit_route(np.vstack([examples, calibration.vectors[kept]]),
                                    np.concatenate([labels, needed[kept]]), c)
        set_whole, set_parts = calibration.logits(coef, intercept)
        for i in np.flatnonzero(~kept):
            whole[i], parts[i] = set_whole[i], set_parts[i]
    return whole, parts


def message_logits(coef: np.ndarray, intercept: float, whole: np.ndarray, parts: np.ndarray,
                   owners: list[int]) -> tuple[np.ndarray, list[list[float]]]:
    """Each message's logit, and the logits of its parts."""
    part_logits: list[list[float]] = [[] for _ in range(len(whole))]
    for owner, logit in zip(owners, (parts @ coef + intercept).tolist() if len(owners) else [], strict=True):
        part_logits[owner].append(logit)
    return whole @ coef + intercept, part_logits


def fit_aggregate(rows: np.ndarray, needed: np.ndarray) -> tuple[float, ...]:
    """How the whole message and its parts combine for one route (weights over AGGREGATE_FEATURES, then the
    intercept): a class-balanced logistic regression on the calibration messages."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=AGGREGATE_C, class_weight="balanced", max_iter=5000).fit(rows, needed)
    return (*(round(float(w), 6) for w in model.coef_[0]), round(float(model.intercept_[0]), 6))


def combined_probabilities(route: str, model: RouteModel, needed: np.ndarray, whole_logits: np.ndarray,
                           part_logits: list[list[float]], words: list[int]) -> tuple[RouteModel, np.ndarray]:
    """The route's model, with the aggregation of whole and parts fitted for an urgent route, and the
    probability the gate will give each calibration message (computed by the gate's own `combined`)."""
    if route in AGGREGATED_ROUTES:
        rows = np.stack([aggregate_features(float(w), p, n) for w, p, n in zip(whole_logits, part_logits, words,
                                                                                 strict=True)])
        model = replace(model, aggregate=fit_aggregate(rows, needed))
    probabilities = np.array([model.combined(float(w), p, n) for w, p, n in zip(whole_logits, part_logits, words,
                                                                                 strict=True)])
    return model, probabilities


def load_calibration(path: Path, split: str) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r.get("split", split) == split]


def load_calibrations(specs: list[str]) -> list[dict]:
    """Rows of every `file:split` given (a row without routes needs none), each with the index of its set
    under "set"; a split kept for measuring is refused."""
    rows = []
    for number, spec in enumerate(specs):
        path, _, split = spec.rpartition(":")
        if split in NEVER_CALIBRATE:
            raise SystemExit(f"{spec}: the {split} split is for measuring, never for fitting")
        rows += [{"routes": ["answer"], **row, "set": number} for row in load_calibration(Path(path), split)]
    return rows


def as_read(message: str) -> str:
    """A message as the gate's classifier reads it (gate.py: the typos the patterns know, spelled out)."""
    return respelled(message, default_patterns())


def calibration_files(specs: list[str]) -> list[Path]:
    return [Path(spec.rpartition(":")[0]) for spec in specs]


def embed_calibration(rows: list[dict]) -> Calibration:
    owners, parts = [], []
    readings = [as_read(r["question"]) for r in rows]
    for number, reading in enumerate(readings):
        for part in parts_of(reading):
            owners.append(number)
            parts.append(part)
    vectors = features_of_many(readings)
    part_vectors = features_of_many(parts) if parts else np.zeros((0, vectors.shape[1]))
    return Calibration(rows, vectors, part_vectors, owners, np.array([r["set"] for r in rows]))


@dataclass(frozen=True)
class PatternMasks:
    """What the patterns say about one route, per calibration message (read once, used for every threshold)."""

    settled: np.ndarray
    suggested: np.ndarray  # by a pattern, or by another route the gate shows (gate.SUGGESTED_BY)
    decided: np.ndarray  # both urgent routes settled: the classifier is never asked

    @classmethod
    def of(cls, route: str, hits: list[dict], also_suggested: np.ndarray | None = None) -> PatternMasks:
        suggested = np.array([h.get(route) is Strength.SUGGESTS for h in hits])
        return cls(settled=np.array([h.get(route) is Strength.SETTLES for h in hits]),
                   suggested=suggested if also_suggested is None else suggested | also_suggested,
                   decided=np.array([all(h.get(u) is Strength.SETTLES for u in URGENT) for h in hits]))

    def shown(self, probabilities: np.ndarray, strict: float, lenient: float) -> np.ndarray:
        """Which messages the gate shows the route for, at these thresholds (as gate.py decides it)."""
        return self.settled | (~self.decided & ((probabilities >= strict)
                                                | (self.suggested & (probabilities >= lenient))))


def choose_thresholds(route: str, probabilities: np.ndarray, hits: list[dict], needed: np.ndarray,
                      excluded: np.ndarray | None = None,
                      also_suggested: np.ndarray | None = None) -> tuple[float, float]:
    """(strict, lenient): the lowest pair that reaches the highest recall with false alarms within budget
    (lower thresholds leave a margin for messages unlike the calibration ones: a care notice still needs
    at least CARE_FLOOR).
    `hits` are the pattern matches of each message; one settled as both crisis and emergency never reaches
    the classifier. `excluded` messages count neither way (for an urgent route: the other urgent route's
    messages, where a second urgent notice is no false alarm). `also_suggested` marks messages where another
    route suggests this one (gate.SUGGESTED_BY), as a pattern can."""
    masks = PatternMasks.of(route, hits, also_suggested)
    floor = 0.0 if route in URGENT else CARE_FLOOR
    candidates = sorted(p for p in set(np.round(probabilities, 4).tolist()) | {0.5, 0.99} if p >= floor)
    negatives_mask = ~needed if excluded is None else ~needed & ~excluded
    negatives = max(1, int(negatives_mask.sum()))
    best = (0.99, 0.99)
    best_key = (-1.0, 0.0)
    for strict in candidates:
        for lenient in [c for c in candidates if c <= strict] if masks.suggested.any() else [strict]:
            shown = masks.shown(probabilities, strict, lenient)
            false_alarms = (shown & negatives_mask).sum() / negatives
            if false_alarms > FALSE_ALARM_BUDGET[route]:
                continue
            recall = (shown & needed).sum() / max(1, needed.sum())
            if recall > best_key[0]:  # candidates ascend: the first pair to reach a recall is the lowest
                best, best_key = (strict, lenient), (recall, -false_alarms)
    return best


def fit_gate(examples: list[dict], vectors: np.ndarray, calibration: Calibration,
             c_by_route: dict[str, float] | None = None) -> dict[str, RouteModel]:
    """Every route's model: fitted on the examples and the calibration messages, its whole-and-parts
    combination and thresholds chosen on the cross-fitted scores. `c_by_route`: the regularization, else
    chosen by cross-validation on the examples."""
    hits = pattern_hits(calibration)
    models: dict[str, RouteModel] = {}
    shown: dict[str, np.ndarray] = {}
    for route in DECIDING_ORDER:  # a route is decided before the routes it suggests, as in the gate
        labels = np.array([route in example_routes(e) for e in examples])
        needed = calibration.needs(route)
        c = c_by_route[route] if c_by_route else choose_c(vectors, labels)
        coef, intercept = fit_route(np.vstack([vectors, calibration.vectors]), np.concatenate([labels, needed]), c)
        whole_logits, part_logits = out_of_set_logits(vectors, labels, calibration, route, c)
        fitted, probabilities = combined_probabilities(route, RouteModel(coef, intercept, 0.5, 0.5), needed,
                                                       whole_logits, part_logits, calibration.words)
        also = shown.get(SUGGESTED_BY.get(route, ""))
        strict, lenient = choose_thresholds(route, probabilities, hits, needed,
                                            calibration.urgent if route in URGENT else None, also)
        shown[route] = PatternMasks.of(route, hits, also).shown(probabilities, strict, lenient)
        models[route] = replace(fitted, strict=strict, lenient=lenient)
        print(f"{route:12s} examples {int(labels.sum()):4d}  C={c:<5}  strict={strict:.3f}  lenient={lenient:.3f}",
              file=sys.stderr)
    return models


def pattern_hits(calibration: Calibration) -> list[dict]:
    patterns = default_patterns()
    return [match_routes(fold(r["question"]), patterns) for r in calibration.rows]


def routes_shown(models: dict[str, RouteModel], calibration: Calibration) -> dict[str, np.ndarray]:
    """Which messages get each route's notice from these models, as the gate decides it."""
    hits = pattern_hits(calibration)
    shown: dict[str, np.ndarray] = {}
    for route in DECIDING_ORDER:
        model = models[route]
        whole, parts = calibration.logits(model.coef, model.intercept)
        probabilities = np.array([model.combined(float(w), p, n)
                                  for w, p, n in zip(whole, parts, calibration.words, strict=True)])
        also = shown.get(SUGGESTED_BY.get(route, ""))
        shown[route] = PatternMasks.of(route, hits, also).shown(probabilities, model.strict, model.lenient)
    return shown


def urgent_recall_and_false_alarms(shown: dict[str, np.ndarray], calibration: Calibration) -> tuple[int, int, int, int]:
    """(urgent messages with every urgent notice they need, urgent messages, benign messages with 988 or
    911, benign messages), judged as `python -m bot.eval` judges them."""
    from bot.eval.safety_metrics import safety_verdict

    verdicts = [safety_verdict({"routes": row["routes"], "safety_routes": [r for r in shown if shown[r][i]]})
                for i, row in enumerate(calibration.rows)]
    urgent = [v for v in verdicts if v["urgent"]]
    benign = [v for v in verdicts if v["benign"]]
    return sum(v["urgent_ok"] for v in urgent), len(urgent), sum(v["false_alarm"] for v in benign), len(benign)


def hold_out_each(examples: list[dict], vectors: np.ndarray, calibration: Calibration, specs: list[str]) -> None:
    """Fit without each calibration set in turn and print how the gate does on it."""
    c_by_route = {route: choose_c(vectors, np.array([route in example_routes(e) for e in examples]))
                  for route in DECIDING_ORDER}
    total = np.zeros(4, dtype=int)
    for number, spec in enumerate(specs):
        held_out = calibration.sets == number
        models = fit_gate(examples, vectors, calibration.subset(~held_out), c_by_route)
        part = calibration.subset(held_out)
        counts = urgent_recall_and_false_alarms(routes_shown(models, part), part)
        total += counts
        print(_held_out_line(spec, *counts))
    print(_held_out_line("all", *total))


def _held_out_line(name: str, caught: int, urgent: int, alarms: int, benign: int) -> str:
    return (f"{name:45s} urgent recall {caught:3d}/{urgent:3d} = {caught / max(1, urgent):.3f}   "
            f"false alarms {alarms:3d}/{benign:3d} = {alarms / max(1, benign):.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.safety.fit", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calibration", nargs="+", default=list(DEFAULT_CALIBRATION), metavar="FILE:SPLIT",
                        help="calibration messages: a safety set and the split to use (never a held-out one)")
    parser.add_argument("--out", type=Path, default=CLASSIFIER_FILE)
    parser.add_argument("--hold-out-each", action="store_true",
                        help="write nothing: fit without each calibration set in turn and report urgent recall "
                             "and false alarms on it (about 7 minutes)")
    args = parser.parse_args(argv)
    files = example_files()
    examples = load_examples(files)
    print(f"embedding {len(examples)} example messages from {len(files)} files", file=sys.stderr)
    vectors = features_of_many([as_read(e["text"]) for e in examples])
    calibration = embed_calibration(load_calibrations(args.calibration))
    print(f"embedded {len(calibration.rows)} calibration messages", file=sys.stderr)
    if args.hold_out_each:
        hold_out_each(examples, vectors, calibration, args.calibration)
        return 0
    models = fit_gate(examples, vectors, calibration)
    fitted_on = files + calibration_files(args.calibration)
    SemanticClassifier({route: models[route] for route in ROUTE_ORDER}, examples_sha256(fitted_on)).save(args.out)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
