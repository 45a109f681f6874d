"""`python -m bot.eval SET.jsonl --out DIR`: answer a QA test set and write results and metrics.

Writes DIR/results.jsonl (one line per question: id, question, answer, refused, citations[{n, title, url,
quote}], contexts, latency_ms, ...) and DIR/summary.json. Rows that cannot be read are reported with their
line and field; the rest still run.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.errors import BotError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.eval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("test_set", type=Path, help="JSONL or CSV test set")
    parser.add_argument("--out", type=Path, required=True, help="directory for results.jsonl and summary.json")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "calibrate":
        return calibrate_main(argv[1:])
    args = build_parser().parse_args(argv)
    from bot.eval.dataset import load_items

    try:
        items, errors = load_items(args.test_set)
    except FileNotFoundError as exc:
        print(f"eval failed: {exc}", file=sys.stderr)
        return 1
    for error in errors:
        print(f"{args.test_set}: skipped {error}", file=sys.stderr)
    try:
        records = run(items, quiet=args.quiet)
    except BotError as exc:
        print(f"eval failed: {exc}", file=sys.stderr)
        return 1
    summary = write_outputs(args.out, records, errors)
    print(json.dumps({k: v for k, v in summary.items() if k != "failures"}, indent=1))
    return 0


def calibrate_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.eval calibrate",
                                     description="Sweep the abstention threshold (min_answer_score) over a test set.")
    parser.add_argument("test_set", type=Path)
    parser.add_argument("--param", default="min_answer_score",
                        choices=["min_answer_score", "max_unknown_share", "min_coverage"])
    parser.add_argument("--values", default=None, help="comma-separated values (default: a range for the param)")
    args = parser.parse_args(argv)
    from bot.eval.calibrate import DEFAULT_VALUES, format_table, sweep
    from bot.eval.dataset import load_items
    from bot.service import default_bot

    items, errors = load_items(args.test_set)
    for error in errors:
        print(f"{args.test_set}: skipped {error}", file=sys.stderr)
    values = [float(v) for v in args.values.split(",")] if args.values else DEFAULT_VALUES[args.param]
    bot = default_bot()
    print(format_table(sweep(bot, items, args.param, values), args.param, getattr(bot.settings, args.param)))
    return 0


def run(items, quiet: bool = False) -> list[dict]:
    from bot.eval.runner import run_items
    from bot.service import default_bot

    bot = default_bot()
    bot.warm_up()
    return list(run_items(items, bot.answer, progress=not quiet))


def write_outputs(out: Path, records: list[dict], errors) -> dict:
    from bot.eval.summary import summarize

    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.jsonl").open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    summary = summarize(records)
    summary["skipped_rows"] = [str(e) for e in errors]
    (out / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False), encoding="utf-8")
    return summary


if __name__ == "__main__":
    sys.exit(main())
