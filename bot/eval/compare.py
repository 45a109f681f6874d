"""`python -m bot.eval --compare RUN_A RUN_B`: metric deltas, and the questions that got better or worse.

A question "passes" when its run lists no failure reason for it; better means failing in A and passing in
B, worse the opposite. Questions whose reasons changed while failing in both are listed as changed.
"""
from __future__ import annotations

from pathlib import Path

from bot.eval.report import HEADLINE, load_run


def compare_runs(run_a: Path, run_b: Path) -> dict:
    summary_a, records_a = load_run(run_a)
    summary_b, records_b = load_run(run_b)
    deltas = {}
    for key, _, _ in HEADLINE:
        a, b = summary_a.get(key), summary_b.get(key)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            deltas[key] = {"a": a, "b": b, "delta": round(b - a, 4)}
    failing_a = {f["id"]: f["reasons"] for f in summary_a.get("failures", [])}
    failing_b = {f["id"]: f["reasons"] for f in summary_b.get("failures", [])}
    shared = [r["id"] for r in records_a if r["id"] in {x["id"] for x in records_b}]
    questions = {r["id"]: r.get("question", "") for r in records_b}
    return {
        "deltas": deltas,
        "better": [{"id": i, "question": questions[i], "was": failing_a[i]} for i in shared
                   if i in failing_a and i not in failing_b],
        "worse": [{"id": i, "question": questions[i], "now": failing_b[i]} for i in shared
                  if i not in failing_a and i in failing_b],
        "changed": [{"id": i, "question": questions[i], "was": failing_a[i], "now": failing_b[i]} for i in shared
                    if i in failing_a and i in failing_b and failing_a[i] != failing_b[i]],
        "only_in_a": sorted({r["id"] for r in records_a} - {r["id"] for r in records_b}),
        "only_in_b": sorted({r["id"] for r in records_b} - {r["id"] for r in records_a}),
    }


def format_comparison(result: dict, name_a: str, name_b: str) -> str:
    lower_is_better = {"false_refusal_rate", "latency_p50_ms", "latency_p95_ms"}
    lines = [f"{'metric':32s} {name_a[-14:]:>14s} {name_b[-14:]:>14s} {'delta':>9s}"]
    for key, values in result["deltas"].items():
        delta = values["delta"]
        good = delta < 0 if key in lower_is_better else delta > 0
        mark = "" if delta == 0 else (" better" if good else " worse")
        lines.append(f"{key:32s} {values['a']:>14.4g} {values['b']:>14.4g} {delta:>+9.4g}{mark}")
    for title, key, field in (("Better", "better", "was"), ("Worse", "worse", "now"), ("Changed", "changed", "now")):
        lines.append(f"\n{title} ({len(result[key])}):")
        lines += [f"  {item['id']}: {item['question']}  [{'; '.join(item[field])}]" for item in result[key]]
    for key in ("only_in_a", "only_in_b"):
        if result[key]:
            lines.append(f"\n{key.replace('_', ' ')}: {', '.join(result[key])}")
    return "\n".join(lines)
