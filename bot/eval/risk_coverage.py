"""Risk-coverage: how accuracy changes as the bot answers fewer questions, so an evaluator can pick a threshold.

Every answerable and out-of-scope question is ranked by the bot's calibrated `confidence` (the probability
that its spans answer the question, reported whether it answered or refused). Answering the top k of N:
- coverage = k / N;
- accuracy = share of those k that are right: an answerable question whose answer is grounded (key facts
  and a reference source; `grounded` from summary.py), never an out-of-scope one;
- risk = 1 - accuracy. AURC is the mean risk over k = 1..N (lower is better); `operating_point` is where the
  bot's own threshold put it (the questions it actually answered).
"""
from __future__ import annotations


def risk_coverage(rows: list[tuple[float, bool, bool]]) -> dict | None:
    """rows: (confidence, correct if answered, answered by the bot). None without rows."""
    if not rows:
        return None
    ranked = sorted(rows, key=lambda r: -r[0])
    curve, right = [], 0
    for k, (confidence, correct, _) in enumerate(ranked, start=1):
        right += correct
        curve.append({"coverage": round(k / len(ranked), 4), "accuracy": round(right / k, 4),
                      "threshold": round(confidence, 4)})
    answered = [r for r in rows if r[2]]
    return {
        "aurc": round(sum(1 - point["accuracy"] for point in curve) / len(curve), 4),
        "curve": curve,
        "operating_point": {"coverage": round(len(answered) / len(rows), 4),
                            "accuracy": round(sum(r[1] for r in answered) / len(answered), 4) if answered else None},
    }


def curve_svg(result: dict, width: int = 520, height: int = 260) -> str:
    """The curve as inline SVG: accuracy (y) against coverage (x), the bot's operating point marked."""
    left, bottom, top, right = 46, height - 34, 12, width - 12

    def x(coverage: float) -> float:
        return left + coverage * (right - left)

    def y(accuracy: float) -> float:
        return bottom - accuracy * (bottom - top)

    points = " ".join(f"{x(p['coverage']):.1f},{y(p['accuracy']):.1f}" for p in result["curve"])
    op = result["operating_point"]
    marker = "" if op["accuracy"] is None else (
        f'<circle cx="{x(op["coverage"]):.1f}" cy="{y(op["accuracy"]):.1f}" r="5" fill="#f04438">'
        f'<title>the bot: {op["coverage"]:.0%} answered, {op["accuracy"]:.0%} right</title></circle>')
    ticks = "".join(f'<text x="{x(v):.1f}" y="{bottom + 16}" font-size="11" text-anchor="middle">{v:.0%}</text>'
                    f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end">{v:.0%}</text>'
                    for v in (0, 0.25, 0.5, 0.75, 1.0))
    return (f'<svg width="{width}" height="{height}" role="img" aria-label="risk-coverage curve">'
            f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#98a2b3"/>'
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#98a2b3"/>{ticks}'
            f'<polyline points="{points}" fill="none" stroke="#1f6f8b" stroke-width="2"/>{marker}'
            f'<text x="{(left + right) / 2:.0f}" y="{height - 2}" font-size="11" text-anchor="middle">'
            f'share answered (coverage)</text></svg>')
