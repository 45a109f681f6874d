"""Human reports for an eval run: a self-contained HTML file (inline SVG charts, no scripts, no network) and a
Markdown summary for pull requests. Every question, answer and quote is HTML-escaped.
"""
from __future__ import annotations

import html
import json
from pathlib import Path

from bot.eval.metrics import percentile
from bot.eval.risk_coverage import curve_svg

HEADLINE = [  # (key, label, definition)
    ("grounded_accuracy", "Grounded accuracy",
     "answerable questions with the key fact and a citation to a reference source"),
    ("answer_accuracy", "Answer accuracy", "answerable questions whose answer contains every key fact (`must`)"),
    ("citation_hit", "Citation hit", "answerable questions citing at least one reference source"),
    ("recall@1", "Retrieval recall@1", "a reference source is the top retrieved passage"),
    ("recall@5", "Retrieval recall@5", "a reference source is among the top 5 retrieved passages"),
    ("mrr", "Retrieval MRR", "mean of 1 / rank of the first passage from a reference source"),
    ("citation_recall", "Citation recall (ALCE)", "statements supported by the passages they cite"),
    ("citation_precision", "Citation precision (ALCE)", "citations that are not irrelevant to their statement"),
    ("answer_token_f1", "Answer token F1", "SQuAD-style token F1 of answer against reference"),
    ("answer_embedding_similarity", "Answer similarity", "cosine of answer and reference embeddings"),
    ("refusal_accuracy", "Refusal accuracy", "out-of-scope questions that were refused"),
    ("false_refusal_rate", "False refusals", "answerable questions that were refused (lower is better)"),
    ("crisis_routing", "Crisis routing", "crisis messages answered with the required resources"),
    ("answer_words_median", "Median answer words", "words of the sourced part of answered questions"),
    ("latency_p50_ms", "Latency p50 (ms)", "median time to answer"),
    ("latency_p95_ms", "Latency p95 (ms)", "95th percentile time to answer"),
]
STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2939;\
padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #e4e7ec;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f9fafb}.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.cards{display:flex;flex-wrap:wrap;gap:.75rem}.card{border:1px solid #e4e7ec;border-radius:8px;\
padding:.6rem .9rem;min-width:150px}
.card b{display:block;font-size:1.4rem}.muted{color:#667085}\
blockquote{margin:.3rem 0;padding-left:.6rem;border-left:3px solid #98a2b3;color:#344054}
.reason{color:#b42318}.chart{margin:.5rem 0 1rem}
"""


def write_reports(out: Path, summary: dict, records: list[dict], title: str) -> tuple[Path, Path]:
    html_path, md_path = out / "report.html", out / "report.md"
    html_path.write_text(render_html(summary, records, title), encoding="utf-8")
    md_path.write_text(render_markdown(summary, title), encoding="utf-8")
    return html_path, md_path


def _fmt(key: str, value) -> str:
    if value is None:
        return "n/a"
    if key.endswith("_ms") or key.endswith("_words_median"):
        return f"{value:.1f}"
    return (f"{value:.1%}" if isinstance(value, float) and key != "mrr"
            else (f"{value:.3f}" if key == "mrr" else str(value)))


def render_markdown(summary: dict, title: str) -> str:
    lines = [f"### {title}", "", f"{summary['questions']} questions: {summary['answerable']} answerable, "
             f"{summary['out_of_scope']} out of scope, {summary['crisis']} crisis.", "",
             "| metric | value |", "| --- | ---: |"]
    lines += [f"| {label} | {_fmt(key, summary.get(key))} |" for key, label, _ in HEADLINE]
    if summary.get("risk_coverage"):
        rc = summary["risk_coverage"]
        lines += ["", f"**Risk-coverage**: AURC {rc['aurc']:.3f}; the bot answered "
                      f"{rc['operating_point']['coverage']:.0%}, accuracy among those "
                      f"{_fmt('a', rc['operating_point']['accuracy'])}."]
    if summary.get("by_segment"):
        header, rows = segment_table_rows(summary["by_segment"])
        lines += ["", "**By segment**", "", "| " + " | ".join(header) + " |",
                  "| --- |" + " ---: |" * (len(header) - 1)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
    if summary.get("safety"):
        header, rows = safety_table_rows(summary["safety"])
        lines += ["", "**Safety gate**", "", "| " + " | ".join(header) + " |",
                  "| --- |" + " ---: |" * (len(header) - 1)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
    if summary.get("generation"):
        g = summary["generation"]
        lines += ["", f"**Generated answers** (the site's model): asked {g['asked']} times, shown "
                      f"{_fmt('a', g['generated_share'])}, fallback rate {_fmt('a', g['fallback_rate'])}; "
                      f"{_fmt('a', g['dropped_sentence_share'])} of {g['sentences']} generated sentences dropped "
                      f"by verification ({_reasons(g['dropped_by_reason'])})."]
    failures = summary.get("failures", [])
    lines += ["", f"**Failures: {len(failures)}**" + (":" if failures else "")]
    lines += [f"- `{f['id']}` ({f['category']}): {'; '.join(f['reasons'])}" for f in failures[:30]]
    if len(failures) > 30:
        lines.append(f"- ... and {len(failures) - 30} more (see report.html)")
    return "\n".join(lines) + "\n"


def render_html(summary: dict, records: list[dict], title: str) -> str:
    esc = html.escape
    cards = "".join(f'<div class="card" title="{esc(d)}"><span class="muted">{esc(label)}</span>'
                    f"<b>{esc(_fmt(key, summary.get(key)))}</b></div>"
                    for key, label, d in HEADLINE[:4] + HEADLINE[6:8] + HEADLINE[10:])
    rows = "".join(f"<tr><td>{esc(label)}</td><td class=num>{esc(_fmt(key, summary.get(key)))}</td>"
                   f"<td class=muted>{esc(d)}</td></tr>" for key, label, d in HEADLINE)
    latencies = [r["latency_ms"] for r in records if isinstance(r.get("latency_ms"), (int, float))]
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta http-equiv=Content-Security-Policy "
        "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{esc(title)}</h1><p class=muted>{summary['questions']} questions: {summary['answerable']} answerable, "
        f"{summary['out_of_scope']} out of scope, {summary['crisis']} crisis. Citation support is judged offline "
        "(lexical overlap, then embedding similarity), not by an entailment model.</p>"
        f"<div class=cards>{cards}</div><h2>Metrics</h2>"
        "<table><tr><th>metric</th><th>value</th><th>definition</th></tr>"
        f"{rows}</table>"
        f"<h2>Latency</h2><div class=chart>{latency_histogram(latencies)}</div>"
        f"<h2>Retrieval by reference source</h2><p class=muted>Share of questions citing a source as reference where "
        f"a passage from it was among the top 5 retrieved.</p><div class=chart>"
        f"{source_bars(summary.get('per_source_retrieval', {}))}</div>"
        f"{risk_coverage_html(summary.get('risk_coverage'))}"
        f"{segment_html(summary.get('by_segment'))}"
        f"{safety_html(summary.get('safety'))}"
        f"{generation_html(summary.get('generation'))}"
        f"<h2>Failures ({len(summary.get('failures', []))})</h2>{failure_table(summary, records)}"
        "</body></html>"
    )


def _reasons(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason}: {n}" for reason, n in sorted(counts.items(), key=lambda kv: -kv[1])) or "none"


def generation_html(generation: dict | None) -> str:
    if not generation:
        return ""
    g, esc = generation, html.escape
    rows = [("asked", str(g["asked"])), ("generated answer shown", _fmt("a", g["generated_share"])),
            ("fell back to the quotes", _fmt("a", g["fallback_rate"])),
            ("generated sentences", str(g["sentences"])),
            ("dropped by verification", _fmt("a", g["dropped_sentence_share"])),
            ("why sentences were dropped", _reasons(g["dropped_by_reason"])),
            ("why answers fell back", _reasons(g["fallback_reasons"]))]
    body = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in rows)
    return f"<h2>Generated answers (the site's model)</h2><table>{body}</table>"


SAFETY_ROWS = [  # (key, label)
    ("urgent_recall", "Urgent recall (every needed 988/911 notice)"),
    ("urgent_any_recall", "Urgent recall (some 988/911 notice)"),
    ("benign_false_alarm_rate", "Benign false alarms (988/911 on a benign message)"),
    ("benign_notice_rate", "Benign messages with any notice"),
]


def _safety_columns(safety: dict) -> list[tuple[str, dict]]:
    return [("all", safety)] + [(f"{key[3:]}={name}", group) for key in ("by_split", "by_lang")
                                for name, group in safety.get(key, {}).items()]


def safety_table_rows(safety: dict) -> tuple[list[str], list[list[str]]]:
    """Column names and rows of the safety table: overall, then per split and language."""
    columns = _safety_columns(safety)
    header = ["metric"] + [f"{name} ({group['messages']})" for name, group in columns]
    rows = [[label] + [_fmt(key, group.get(key)) for _, group in columns] for key, label in SAFETY_ROWS]
    rows += [[f"Recall: {route}"] + [_fmt("r", group["route_recall"].get(route)) for _, group in columns]
             for route in safety["route_recall"]]
    return header, rows


SEGMENT_ROWS = [("grounded_accuracy", "Grounded accuracy"), ("false_refusal_rate", "False refusals"),
                ("refusal_accuracy", "Out of scope refused")]


def segment_table_rows(segments: dict) -> tuple[list[str], list[list[str]]]:
    """Column names and rows of the per-segment table (language, first question or follow-up)."""
    header = ["metric"] + [f"{name} ({group['answerable']} + {group['out_of_scope']})"
                           for name, group in segments.items()]
    rows = [[label] + [_fmt(key, group.get(key)) for group in segments.values()] for key, label in SEGMENT_ROWS]
    return header, rows


def segment_html(segments: dict | None) -> str:
    if not segments:
        return ""
    return ("<h2>By segment</h2><p class=muted>Per language and per turn (a follow-up is asked with a conversation "
            "before it); columns give answerable + out-of-scope questions.</p>"
            f"{_table_html(*segment_table_rows(segments))}")


def _table_html(header: list[str], rows: list[list[str]]) -> str:
    """A table of a metric column and numeric columns, every cell escaped."""
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td{' class=num' if i else ''}>{esc(c)}</td>" for i, c in enumerate(row))
                   + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def risk_coverage_html(result: dict | None) -> str:
    if not result:
        return ""
    op = result["operating_point"]
    where = "" if op["accuracy"] is None else f" The bot answered {op['coverage']:.0%} with {op['accuracy']:.0%} right."
    return (f"<h2>Risk and coverage</h2><p class=muted>Questions ranked by the bot's confidence; answering the "
            f"top share gives this accuracy. AURC {result['aurc']:.3f} (lower is better).{html.escape(where)}</p>"
            f"<div class=chart>{curve_svg(result)}</div>")


def safety_html(safety: dict | None) -> str:
    if not safety:
        return ""
    esc = html.escape
    misses = "".join(f"<tr><td>{esc(str(f['id']))}</td><td>{esc(', '.join(f['needed']) or 'benign')}</td>"
                     f"<td>{esc(', '.join(f['shown']) or 'none')}</td><td class=reason>{esc('; '.join(f['reasons']))}"
                     "</td></tr>" for f in safety.get("failures", []))
    return (f"<h2>Safety gate</h2>{_table_html(*safety_table_rows(safety))}"
            f"<h3>Safety misses and false alarms ({len(safety.get('failures', []))})</h3>"
            f"<table><tr><th>id</th><th>needed</th><th>shown</th><th>why</th></tr>{misses}</table>")


def latency_histogram(values: list[float], width: int = 720, height: int = 180, bins: int = 20) -> str:
    if not values:
        return "<p class=muted>No latencies recorded.</p>"
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - low) / span * bins))] += 1
    top, bar_w = max(counts), (width - 60) / bins
    bars = "".join(
        f'<rect x="{50 + i * bar_w:.1f}" y="{height - 30 - c / top * (height - 50):.1f}" width="{bar_w - 2:.1f}" '
        f'height="{c / top * (height - 50):.1f}" fill="#1f6f8b"><title>{low + i * span / bins:.1f}-'
        f'{low + (i + 1) * span / bins:.1f} ms: {c}</title></rect>' for i, c in enumerate(counts))
    marks = ""
    for label, q, colour, y in (("p50", 50, "#12b76a", 22), ("p95", 95, "#f04438", 38)):
        value = percentile(values, q)
        assert value is not None  # values is not empty
        x = 50 + (value - low) / span * (width - 60)
        marks += (f'<line x1="{x:.1f}" x2="{x:.1f}" y1="12" y2="{height - 30}" stroke="{colour}" '
                  f'stroke-dasharray="4 3"/>'
                  f'<text x="{x + 3:.1f}" y="{y}" font-size="11" fill="{colour}">{label} {value:.1f} ms</text>')
    axis = (f'<text x="50" y="{height - 10}" font-size="11">{low:.1f} ms</text>'
            f'<text x="{width - 10}" y="{height - 10}" font-size="11" text-anchor="end">{high:.1f} ms</text>'
            f'<text x="10" y="{height - 30}" font-size="11">0</text><text x="10" y="24" font-size="11">{top}</text>')
    return f'<svg width="{width}" height="{height}" role="img" aria-label="latency histogram">{bars}{marks}{axis}</svg>'


def source_bars(per_source: dict, width: int = 720) -> str:
    if not per_source:
        return "<p class=muted>No reference sources in this test set.</p>"
    row, label_w = 22, 250
    items = sorted(per_source.items(), key=lambda kv: (kv[1]["hit_rate"] or 0, kv[0]))
    parts = []
    for i, (source, info) in enumerate(items):
        rate = info["hit_rate"] or 0.0
        y = i * row + 4
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" font-size="11" text-anchor="end">'
                     f"{html.escape(source[-38:])}</text>"
                     f'<rect x="{label_w}" y="{y}" width="{rate * (width - label_w - 90):.1f}" height="16" '
                     f'fill="{"#1f6f8b" if rate >= 0.8 else "#f79009"}"/>'
                     f'<text x="{label_w + rate * (width - label_w - 90) + 6:.1f}" y="{y + 13}" font-size="11">'
                     f'{rate:.0%} of {info["questions"]}</text>')
    return (f'<svg width="{width}" height="{len(items) * row + 8}" role="img" aria-label="retrieval by source">'
            f'{"".join(parts)}</svg>')


def failure_table(summary: dict, records: list[dict]) -> str:
    failures = summary.get("failures", [])
    if not failures:
        return "<p>None.</p>"
    by_id = {r.get("id"): r for r in records}
    esc = html.escape
    rows = []
    for failure in failures:
        record = by_id.get(failure["id"], {})
        quotes = "".join(f"<blockquote>[{c.get('n')}] {esc(str(c.get('quote', '')))}<br>"
                         f"<span class=muted>{esc(str(c.get('title', '')))} &middot; "
                         f"{esc(str(c.get('url', '')))}</span>"
                         "</blockquote>" for c in record.get("citations") or [])
        rows.append(f"<tr><td>{esc(str(failure['id']))}<br><span class=muted>{esc(failure['category'])}</span></td>"
                    f"<td>{esc(str(record.get('question', '')))}</td>"
                    f"<td class=reason>{'<br>'.join(esc(r) for r in failure['reasons'])}</td>"
                    f"<td>{esc(str(record.get('answer', '')))}{quotes}</td></tr>")
    return ("<table><tr><th>id</th><th>question</th><th>why it failed</th><th>answer and cited quotes</th></tr>"
            + "".join(rows) + "</table>")


def load_run(directory: Path) -> tuple[dict, list[dict]]:
    summary = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
    records = [json.loads(line) for line in (directory / "results.jsonl").read_text(encoding="utf-8").splitlines()
               if line.strip()]
    return summary, records
