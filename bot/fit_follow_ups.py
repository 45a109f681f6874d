"""Fit the follow-up model (follow_ups.py): when a question in a conversation is read with the earlier one.

    python -m bot.fit_follow_ups [--out bot/data/follow_up_model.json]

1. Conversations: the follow-ups of the spent follow-up sets (each with its own conversation), and the
   standalone answerable questions of spent blind sets, each asked after a conversation about another source
   (a topic switch: the visitor moves on).
2. Each question is answered twice by the shipped answer model: read with the earlier question, and read
   alone, with the known questions of the follow-up sets left out (the bank keeps every labelled follow-up,
   joined with its earlier question, so each would otherwise find its own twin). A question right one way
   and wrong the other is a label (1: it needs the earlier question); questions right or wrong both ways
   say nothing about the choice and are left out.
3. A logistic regression over follow_ups.FEATURES, its regularization picked by 5-fold cross-validation;
   the cross-validated accuracy and confusion are printed.

The blind sets still held out (fit.HELD_OUT) are never read.
"""
from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

import numpy as np

from bot.fit import C_GRID, HELD_OUT, answers_item, fit_logistic
from bot.follow_ups import FEATURES, FOLLOW_UP_MODEL_FILE, FollowUpModel, follow_up_features
from bot.known_questions import KNOWN_QUESTIONS_FILE, KnownQuestions

FOLLOW_UP_SETS = (Path("tests/qa/tuning_followups_qa.jsonl"), Path("tests/qa/blind8_qa.jsonl"),
                  Path("tests/qa/blind9_qa.jsonl"), Path("tests/qa/blind10_qa.jsonl"),
                  Path("tests/qa/blind11_qa.jsonl"), Path("tests/qa/tuning_e_qa.jsonl"),
                  Path("tests/qa/tuning_f_qa.jsonl"), Path("tests/qa/blind12_qa.jsonl"),
                  Path("tests/qa/blind13_qa.jsonl"), Path("tests/qa/blind14_qa.jsonl"),
                  Path("tests/qa/blind15_qa.jsonl"), Path("tests/qa/blind16_qa.jsonl"))
# spent sets whose questions are not known questions, so that a question is never close to itself; the
# Spanish set gives Spanish topic switches, which MiniLM's closeness to known questions reads least well
SWITCH_SETS = (Path("tests/qa/blind6_qa.jsonl"), Path("tests/qa/blind7_qa.jsonl"), Path("tests/qa/spanish_qa.jsonl"),
               Path("tests/qa/holdout_qa.jsonl"))
FOLDS = 5


def read_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def conversations(follow_up_sets, switch_sets, seed: int = 11) -> list[dict]:
    """Answerable follow-ups with their conversations, and topic switches: standalone questions after a
    conversation about another source."""
    follow_ups = [r for path in follow_up_sets for r in read_rows(path)
                  if r.get("history") and r.get("answerable", True)]
    rng = random.Random(seed)
    switches = []
    for path in switch_sets:
        for row in read_rows(path):
            if row.get("history") or not row.get("answerable", True):
                continue
            others = [f for f in follow_ups if f.get("reference_sources") != row.get("reference_sources")]
            switches.append({**row, "history": rng.choice(others)["history"]})
    return follow_ups + switches


def is_right(answer, row: dict) -> bool:
    return not answer.refused and answers_item(row, answer.text, [c.url for c in answer.citations])


def labelled(bot, rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """(features, label) for the questions whose answer depends on how they are read."""
    from tqdm import tqdm

    features, labels = [], []
    for row in tqdm(rows, desc="Answering both ways", unit="question"):
        with_earlier = is_right(bot.answer(row["question"], history=row["history"], generate=False), row)
        alone = is_right(bot.answer(row["question"], history=None, generate=False), row)
        if with_earlier != alone:
            features.append(follow_up_features(row["question"], bot.known_closeness(row["question"])))
            labels.append(float(with_earlier))
    return np.vstack(features), np.array(labels, dtype=np.float32)


def cross_validated(x: np.ndarray, y: np.ndarray, c: float) -> np.ndarray:
    folds = np.arange(len(y)) % FOLDS
    np.random.default_rng(0).shuffle(folds)
    predicted = np.zeros(len(y), dtype=np.float32)
    for fold in range(FOLDS):
        model = fit_logistic(x[folds != fold], y[folds != fold], c, FEATURES)
        predicted[folds == fold] = model.probabilities(x[folds == fold], FEATURES)
    return predicted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.fit_follow_ups", description=__doc__.split("\n")[0])
    parser.add_argument("--follow-ups", nargs="+", type=Path, default=list(FOLLOW_UP_SETS))
    parser.add_argument("--switches", nargs="+", type=Path, default=list(SWITCH_SETS))
    parser.add_argument("--out", type=Path, default=FOLLOW_UP_MODEL_FILE)
    args = parser.parse_args(argv)
    if held_out := [p for p in [*args.follow_ups, *args.switches] if p.name in HELD_OUT]:
        parser.error(f"{held_out[0]} is held out for measuring, never for fitting")
    from bot.service import Bot

    bot = Bot(follow_up_model=FollowUpModel.always())
    with tempfile.TemporaryDirectory() as scratch:
        known = Path(scratch) / "known_questions.jsonl"
        KnownQuestions.load(Path(bot.settings.known_questions_path or KNOWN_QUESTIONS_FILE)).without(
            p.name for p in args.follow_ups).save(known)
        bot.use_known_questions(known)
        x, y = labelled(bot, conversations(args.follow_ups, args.switches))
    scored = {c: cross_validated(x, y, c) for c in C_GRID}
    c = max(C_GRID, key=lambda k: (np.mean((scored[k] >= 0.5) == y), -k))
    p = scored[c] >= 0.5
    print(f"{len(y)} questions whose answer depends on the reading ({int(y.sum())} need the earlier question); "
          f"C={c}: cross-validated accuracy {np.mean(p == y):.3f}, read with the earlier question: "
          f"{int((p & (y == 1)).sum())}/{int((y == 1).sum())} of those that need it, "
          f"{int((p & (y == 0)).sum())}/{int((y == 0).sum())} of those that do not")
    model = FollowUpModel(fit_logistic(x, y, c, FEATURES), 0.5,
                          tuple(str(p) for p in [*args.follow_ups, *args.switches]))
    model.save(args.out)
    print(f"wrote {args.out}: {model.weights.weights}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
