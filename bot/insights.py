"""What visitors could not get answered, and what they disliked: a report for the site owner.

    python -m bot.insights [--out reports/insights] [--days 30]

Reads the opt-in stores only (the feedback store, `BOT_FEEDBACK=on`, and the redacted conversation log,
`BOT_LOG_CONVERSATIONS=true`); with both off there is nothing to report and it says so. Writes `index.html`
and CSV files (`refused_groups.csv`, `disliked.csv`, `per_day.csv`, `sources.csv`). The same page is served at
`/admin` behind `BOT_ADMIN_TOKEN`.

- Refused questions grouped by meaning: MiniLM vectors, each question joins the group whose first question
  is closest if the cosine is at least `GROUP_COSINE`, else starts a group; largest group first. These are the
  topics the sources should cover.
- Disliked answers, with the question and the quotes the answer showed.
- Answered and refused per day, as a chart; the sources cited most and least.
"""
from __future__ import annotations

import argparse
import csv
import html
import json
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

from bot.feedback import FeedbackStore, Vote, default_url
from bot.settings import Settings

GROUP_COSINE = 0.7


@dataclass
class Group:
    label: str  # the first question of the group
    questions: list[str]

    @property
    def count(self) -> int:
        return len(self.questions)


@dataclass
class Insights:
    refused_groups: list[Group] = field(default_factory=list)
    disliked: list[Vote] = field(default_factory=list)
    per_day: list[tuple[date, int, int]] = field(default_factory=list)  # (day, answered, refused)
    sources: list[tuple[str, int]] = field(default_factory=list)  # most cited first
    inputs: list[str] = field(default_factory=list)  # which stores were read


def read_log(directory: Path, since: date) -> list[dict]:
    entries = []
    for path in sorted(directory.glob("*.jsonl")) if directory.is_dir() else ():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if str(entry.get("time", ""))[:10] >= since.isoformat():
                entries.append(entry)
    return entries


def group_by_meaning(questions: list[str], embed: Callable[[Sequence[str]], np.ndarray]) -> list[Group]:
    if not questions:
        return []
    vectors = embed(questions)
    groups: list[Group] = []
    heads: list[np.ndarray] = []
    for question, vector in zip(questions, vectors, strict=True):
        scores = [float(head @ vector) for head in heads]
        best = int(np.argmax(scores)) if scores else -1
        if best >= 0 and scores[best] >= GROUP_COSINE:
            groups[best].questions.append(question)
        else:
            groups.append(Group(question, [question]))
            heads.append(vector)
    return sorted(groups, key=lambda g: -g.count)


def gather(settings: Settings, embed: Callable[[Sequence[str]], np.ndarray], days: int = 30,
           today: date | None = None) -> Insights:
    since = (today or datetime.now(UTC).date()) - timedelta(days=days)
    insights = Insights()
    log_dir = settings.data_dir / "conversations"
    entries = read_log(log_dir, since) if settings.log_conversations or log_dir.is_dir() else []
    votes: list[Vote] = []
    if settings.feedback or settings.feedback_db or (settings.data_dir / "feedback.sqlite3").exists():
        store = FeedbackStore(settings.feedback_db or default_url(settings.data_dir), settings.feedback_days)
        votes = store.votes(since)
        insights.inputs.append("feedback store")
    if entries:
        insights.inputs.append("conversation log")
    refused = [e["question"] for e in entries if e.get("route") == "refused"]
    refused += [v.question for v in votes if v.route == "refused" and v.question not in refused]
    insights.refused_groups = group_by_meaning(refused, embed)
    insights.disliked = [v for v in votes if v.vote < 0]
    per_day: dict[date, list[int]] = {}
    for entry in entries:
        day = date.fromisoformat(str(entry["time"])[:10])
        per_day.setdefault(day, [0, 0])[1 if entry.get("route") == "refused" else 0] += 1
    insights.per_day = [(day, a, r) for day, (a, r) in sorted(per_day.items())]
    insights.sources = Counter(url for e in entries for url in e.get("sources") or []).most_common()
    return insights


# --- output ------------------------------------------------------------------------------------------
def render_html(insights: Insights, title: str = "What visitors asked") -> str:
    esc = html.escape
    if not insights.inputs:
        body = ("<p>Nothing to report: turn on <code>BOT_FEEDBACK=on</code> and/or "
                "<code>BOT_LOG_CONVERSATIONS=true</code> to collect what visitors ask.</p>")
    else:
        groups = "".join(f"<tr><td>{g.count}</td><td>{esc(g.label)}</td><td>"
                         + "<br>".join(esc(q) for q in g.questions[1:6]) + "</td></tr>"
                         for g in insights.refused_groups) or "<tr><td colspan=3>none</td></tr>"
        disliked = "".join(f"<tr><td>{v.day}</td><td>{esc(v.question)}</td><td>{esc(v.route)}</td><td>"
                           + "".join(f"<blockquote>{esc(q)}</blockquote>" for q in v.quotes) + "</td></tr>"
                           for v in insights.disliked) or "<tr><td colspan=4>none</td></tr>"
        sources = insights.sources
        cited = "".join(f"<tr><td>{n}</td><td>{esc(url)}</td></tr>" for url, n in sources[:10])
        least = "".join(f"<tr><td>{n}</td><td>{esc(url)}</td></tr>" for url, n in sources[-5:][::-1])
        body = (f"<p class=muted>From: {esc(', '.join(insights.inputs))}. Questions are stored redacted.</p>"
                "<h2>Questions the sources did not answer, grouped by meaning</h2><table>"
                f"<tr><th>count</th><th>question</th><th>others like it</th></tr>{groups}</table>"
                "<h2>Answers visitors disliked</h2><table><tr><th>day</th><th>question</th><th>route</th>"
                f"<th>what the answer quoted</th></tr>{disliked}</table>"
                f"<h2>Answered and refused per day</h2>{per_day_chart(insights.per_day)}"
                f"<h2>Sources cited most</h2><table>{cited or '<tr><td>none</td></tr>'}</table>"
                f"<h2>Sources cited least</h2><table>{least or '<tr><td>none</td></tr>'}</table>")
    style = ("body{font:14px/1.45 system-ui,sans-serif;max-width:1000px;margin:2rem auto;padding:0 1rem}"
             "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem;"
             "text-align:left;vertical-align:top}.muted{color:#667085}blockquote{margin:.2rem 0;color:#344054}")
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{esc(title)}</title>"
            f"<style>{style}</style></head><body><h1>{esc(title)}</h1>{body}</body></html>")


def per_day_chart(rows: list[tuple[date, int, int]]) -> str:
    if not rows:
        return "<p class=muted>No conversation log.</p>"
    top = max(a + r for _, a, r in rows) or 1
    bar, width, height = 18, 24, 140
    parts = []
    for i, (day, answered, refused) in enumerate(rows):
        x = 30 + i * width
        h_a, h_r = answered / top * height, refused / top * height
        parts.append(f'<rect x="{x}" y="{10 + height - h_a - h_r:.1f}" width="{bar}" height="{h_r:.1f}" '
                     f'fill="#f04438"><title>{day}: {refused} refused</title></rect>'
                     f'<rect x="{x}" y="{10 + height - h_a:.1f}" width="{bar}" height="{h_a:.1f}" '
                     f'fill="#12b76a"><title>{day}: {answered} answered</title></rect>')
    return (f'<svg width="{40 + len(rows) * width}" height="{height + 30}" role="img" '
            f'aria-label="answered (green) and refused (red) per day">{"".join(parts)}</svg>')


def write_csv(insights: Insights, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    tables = {
        "refused_groups.csv": (["count", "question", "others"],
                               [[g.count, g.label, " | ".join(g.questions[1:])] for g in insights.refused_groups]),
        "disliked.csv": (["day", "question", "route", "mode", "quotes"],
                         [[v.day, v.question, v.route, v.mode, " | ".join(v.quotes)] for v in insights.disliked]),
        "per_day.csv": (["day", "answered", "refused"], [list(row) for row in insights.per_day]),
        "sources.csv": (["url", "citations"], [list(row) for row in insights.sources]),
    }
    written = []
    for name, (header, rows) in tables.items():
        path = directory / name
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.insights", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("reports/insights"))
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args(argv)
    from bot.index.embedding import bundled_embedder

    insights = gather(Settings.from_env(), bundled_embedder().embed, args.days)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "index.html").write_text(render_html(insights), encoding="utf-8")
    write_csv(insights, args.out)
    print(f"{len(insights.refused_groups)} groups of refused questions, {len(insights.disliked)} disliked answers; "
          f"wrote {args.out / 'index.html'} and CSV files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
