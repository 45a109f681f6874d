"""Sweep an abstention gate over a test set: false refusals against refusals of out-of-scope questions.

`python -m bot.eval calibrate SET.jsonl [--param min_answer_score] [--values 0.3,0.35,...]` prints one row
per value; each row re-answers the set with that one setting changed (the other gates unchanged).
"""
from __future__ import annotations

from dataclasses import replace

from bot.eval.dataset import EvalItem

DEFAULT_VALUES = {
    "min_answer_score": (0.25, 0.3, 0.35, 0.4, 0.42, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7),
    "max_unknown_share": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0),
    "min_coverage": (0.0, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6),
}


def sweep(bot, items: list[EvalItem], param: str, values) -> list[dict]:
    answerable = [i for i in items if i.answerable and i.kind != "crisis"]
    out_of_scope = [i for i in items if not i.answerable and i.kind != "crisis"]
    original = bot.settings
    rows = []
    try:
        for value in values:
            bot.settings = replace(original, **{param: value})
            false_refusals = sum(bot.answer(i.question, history=i.history or None).refused for i in answerable)
            refused_out = sum(bot.answer(i.question, history=i.history or None).refused for i in out_of_scope)
            rows.append({param: value,
                         "false_refusal_rate": round(false_refusals / len(answerable), 4) if answerable else None,
                         "out_of_scope_refused": round(refused_out / len(out_of_scope), 4) if out_of_scope else None,
                         "answerable": len(answerable), "out_of_scope": len(out_of_scope)})
    finally:
        bot.settings = original
    return rows


def format_table(rows: list[dict], param: str, current: float) -> str:
    lines = [f"{param:>17}  false refusals  out-of-scope refused"]
    for row in rows:
        mark = "  <- current" if abs(row[param] - current) < 1e-9 else ""
        lines.append(f"{row[param]:>17.2f}  {_pct(row['false_refusal_rate']):>14}  "
                     f"{_pct(row['out_of_scope_refused']):>20}{mark}")
    return "\n".join(lines)


def _pct(value) -> str:
    return "n/a" if value is None else f"{value:.0%}"
