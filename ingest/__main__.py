"""`python -m ingest`: build or update the answer index from the corpus directory.

Exit codes: 0 everything ingested (or already up to date); 1 failed, the previous index is untouched;
2 bad usage; 3 the index was updated but some files were skipped (each is listed with its reason).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.errors import BotError
from bot.settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_SKIPPED = 0, 1, 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=None,
                        help="corpus directory (default: $BOT_CORPUS_DIR or ./corpus)")
    parser.add_argument("--rebuild", action="store_true", help="re-embed every file, ignoring what is indexed")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        from ingest.pipeline import ingest_corpus

        report = ingest_corpus(settings, args.corpus, rebuild=args.rebuild, progress=not (args.quiet or args.json))
    except (BotError, FileNotFoundError) as exc:
        print(f"ingest failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("ingest interrupted: the previous index is unchanged.", file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(report.as_dict()) if args.json else describe(report))
    return EXIT_SKIPPED if report.skipped else EXIT_OK


def describe(report) -> str:
    lines = []
    for path, reason in report.skipped:
        lines.append(f"skipped {path}: {reason}")
    for rel in report.kept_previous:
        lines.append(f"  kept the previously ingested version of {rel}")
    if report.published is None:
        lines.append(f"index up to date: {report.files} files, {report.passages} passages "
                     f"({report.seconds:.2f} s, nothing embedded)")
    else:
        lines.append(f"published index {report.published}: {report.passages} passages, {report.sentences} sentences "
                     f"from {len(report.embedded_docs) + len(report.reused_docs)} documents")
        lines.append(f"  embedded {len(report.embedded_docs)} changed document(s) ({report.embedded_texts} texts), "
                     f"reused {len(report.reused_docs)}, removed {len(report.removed_docs)}; {report.seconds:.2f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
