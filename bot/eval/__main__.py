"""Evaluate the bot on a QA test set, offline.

  python -m bot.eval SET.jsonl --out DIR [--limit N] [--filter TEXT|FIELD=VALUE]
      answer every question; write DIR/results.jsonl (one line per question: id, question, answer, refused,
      citations[{n, title, url, quote}], contexts, latency_ms, ...), DIR/summary.json (metrics),
      DIR/report.html, DIR/report.md and DIR/ragas.jsonl (a Ragas EvaluationDataset)
  python -m bot.eval --compare RUN_A RUN_B      metric deltas and questions that got better or worse
  python -m bot.eval report DIR                 re-score DIR/results.jsonl and rewrite the reports
  python -m bot.eval generate --out set.jsonl   draft a test set from the corpus

Test sets are JSONL or CSV with our columns (question, reference, reference_sources, answerable, kind) or
Ragas' (user_input, reference, reference_contexts). A row that cannot be read is reported with its line and
field; the rest still run.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.errors import BotError

SUBCOMMANDS = ("report", "generate")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in SUBCOMMANDS:
        return {"report": report_main, "generate": generate_main}[argv[0]](argv[1:])
    if "--compare" in argv:
        return compare_main(argv)
    return run_main(argv)


# --- run ----------------------------------------------------------------------------------------------
def run_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.eval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("test_set", type=Path, help="JSONL or CSV test set")
    parser.add_argument("--out", type=Path, required=True, help="directory for results, summary and reports")
    parser.add_argument("--limit", type=int, default=None, help="answer only the first N questions (after --filter)")
    parser.add_argument("--filter", action="append", default=[],
                        help="keep questions whose id or text contains TEXT, or whose FIELD equals VALUE "
                             "(e.g. kind=crisis, answerable=false); repeat to combine")
    parser.add_argument("--no-embedding-metrics", action="store_true",
                        help="skip the embedding-based support check and answer similarity")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--llm", action="store_true",
                        help="answer with the model configured by BOT_LLM_BASE_URL/BOT_LLM_MODEL (each sentence "
                             "verified) and report its fallback rate and dropped sentences; without it, quotes only")
    args = parser.parse_args(argv)
    from bot.eval.dataset import load_items, select_items

    try:
        items, errors = load_items(args.test_set)
    except FileNotFoundError as exc:
        print(f"eval failed: {exc}", file=sys.stderr)
        return 1
    for error in errors:
        print(f"{args.test_set}: skipped {error}", file=sys.stderr)
    items = select_items(items, args.filter, args.limit)
    if not items:
        print("eval: no questions to run (check --filter / --limit)", file=sys.stderr)
        return 1
    try:
        records, embed = run(items, quiet=args.quiet, llm=args.llm)
    except BotError as exc:
        print(f"eval failed: {exc}", file=sys.stderr)
        return 1
    summary = write_outputs(args.out, records, errors, None if args.no_embedding_metrics else embed,
                            title=f"Evaluation of {args.test_set.name}")
    print(json.dumps(headline(summary), indent=1))
    print(f"reports: {args.out / 'report.html'}, {args.out / 'report.md'}", file=sys.stderr)
    return 0


def run(items, quiet: bool = False, llm: bool = False):
    from functools import partial

    from bot.errors import ConfigError
    from bot.eval.runner import run_items
    from bot.service import default_bot

    bot = default_bot()
    if llm and bot.writer is None:
        raise ConfigError("--llm needs a model: set BOT_LLM_BASE_URL (and BOT_LLM_MODEL, BOT_LLM_API_KEY).")
    bot.warm_up()
    answer = bot.answer if llm else partial(bot.answer, generate=False)
    return list(run_items(items, answer, progress=not quiet)), bot.embedder.embed


def write_outputs(out: Path, records: list[dict], errors=(), embed=None, title: str = "Evaluation") -> dict:
    from bot.eval.ragas_export import write_ragas
    from bot.eval.report import write_reports
    from bot.eval.summary import summarize
    from bot.eval.support import SupportJudge

    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.jsonl").open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    summary = summarize(records, SupportJudge(embed))
    summary["skipped_rows"] = [str(e) for e in errors]
    (out / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False), encoding="utf-8")
    write_reports(out, summary, records, title)
    write_ragas(out / "ragas.jsonl", records)
    return summary


def headline(summary: dict) -> dict:
    """The summary without its long per-question lists, for the terminal."""
    short = {k: v for k, v in summary.items() if k not in ("failures", "per_source_retrieval")}
    if short.get("risk_coverage"):
        short["risk_coverage"] = {k: v for k, v in short["risk_coverage"].items() if k != "curve"}
    if "safety" in short:
        short["safety"] = {k: v for k, v in short["safety"].items() if k != "failures"}
    return short


# --- other commands -----------------------------------------------------------------------------------
def compare_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.eval --compare")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("RUN_A", "RUN_B"), required=True)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from bot.eval.compare import compare_runs, format_comparison

    run_a, run_b = args.compare
    for run_dir in (run_a, run_b):
        if not (run_dir / "summary.json").is_file() or not (run_dir / "results.jsonl").is_file():
            print(f"eval --compare: {run_dir} has no summary.json and results.jsonl (an eval --out directory)",
                  file=sys.stderr)
            return 1
    result = compare_runs(run_a, run_b)
    print(json.dumps(result, indent=1) if args.json else format_comparison(result, str(run_a), str(run_b)))
    return 0


def report_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.eval report",
                                     description="Re-score an eval directory's results.jsonl and rewrite its "
                                                 "summary and reports (no model: lexical support check only).")
    parser.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    results = args.directory / "results.jsonl"
    if not results.is_file():
        print(f"eval report: {results} not found", file=sys.stderr)
        return 1
    records = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines() if line.strip()]
    summary = write_outputs(args.directory, records, title=f"Evaluation in {args.directory.name}")
    print(json.dumps(headline(summary), indent=1))
    return 0


def generate_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.eval generate",
                                     description="Draft a test set from the corpus study facts (edit before use).")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, default=None, help="corpus directory (default: $BOT_CORPUS_DIR)")
    args = parser.parse_args(argv)
    from bot.eval.generate import draft_items, write_items
    from bot.settings import Settings

    items = draft_items(args.corpus or Settings.from_env().corpus_dir)
    write_items(args.out, items)
    print(f"wrote {len(items)} draft questions to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
