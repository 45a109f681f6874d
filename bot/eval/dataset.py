"""Load QA test sets: JSONL or CSV, with our column names or Ragas' (`user_input`, `reference_contexts`).

A malformed row is reported with its line number and field and left out; the other rows still run.
Unknown fields are kept on the item and passed through to the results file.
"""
from __future__ import annotations

import ast
import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

NOT_ANSWERABLE_KINDS = {"crisis", "out_of_scope", "unanswerable"}  # a `kind` that marks a row as not answerable
KNOWN = {"id", "question", "user_input", "reference", "reference_sources", "reference_contexts", "answerable",
         "kind", "history"}


@dataclass
class EvalItem:
    id: str
    question: str
    line: int
    reference: str = ""
    reference_sources: list[str] = field(default_factory=list)
    reference_contexts: list[str] = field(default_factory=list)
    answerable: bool = True
    kind: str = ""  # "crisis" for messages that must be routed to crisis resources
    history: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # unknown fields, passed through (e.g. `must`)

    @property
    def category(self) -> str:
        if self.kind == "crisis":
            return "crisis"
        return "answerable" if self.answerable else "out_of_scope"


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, field '{self.field}': {self.message}"


def load_items(path: Path) -> tuple[list[EvalItem], list[RowError]]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"test set not found: {path}")
    rows = _csv_rows(path) if path.suffix.lower() == ".csv" else _jsonl_rows(path)
    items, errors, seen = [], [], set()
    for line, row in rows:
        if isinstance(row, RowError):
            errors.append(row)
            continue
        try:
            item = _item(line, row)
        except _FieldError as exc:
            errors.append(RowError(line, exc.field, exc.message))
            continue
        if item.id in seen:
            errors.append(RowError(line, "id", f"duplicate id {item.id!r}"))
            continue
        seen.add(item.id)
        items.append(item)
    return items, errors


def _jsonl_rows(path: Path):
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                yield line, RowError(line, "(row)", f"not valid JSON: {exc.msg} at column {exc.colno}")
                continue
            yield line, row if isinstance(row, dict) else RowError(line, "(row)", "each line must be a JSON object")


def _csv_rows(path: Path):
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            yield reader.line_num, {k: v for k, v in row.items() if k is not None and v not in (None, "")}


class _FieldError(ValueError):
    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field, self.message = field_name, message


def _item(line: int, row: dict) -> EvalItem:
    question = row.get("question", row.get("user_input"))
    name = "question" if "question" in row else "user_input"
    if not isinstance(question, str) or not question.strip():
        raise _FieldError(name, "missing or empty (give `question` or Ragas' `user_input`)")
    return EvalItem(
        id=str(row.get("id") or f"line-{line}"),
        question=question,
        line=line,
        reference=_text(row, "reference"),
        reference_sources=_string_list(row, "reference_sources"),
        reference_contexts=_string_list(row, "reference_contexts"),
        answerable=_bool(row, "answerable", default=row.get("kind") not in NOT_ANSWERABLE_KINDS),
        kind=_text(row, "kind"),
        history=_history(row),
        extra={k: v for k, v in row.items() if k not in KNOWN},
    )


def _text(row: dict, name: str) -> str:
    value = row.get(name, "")
    if not isinstance(value, (str, int, float)):
        raise _FieldError(name, f"must be text, got {type(value).__name__}")
    return str(value)


def _string_list(row: dict, name: str) -> list[str]:
    value = row.get(name, [])
    if isinstance(value, str):  # CSV: a JSON array, or values separated by '|' or ';'
        stripped = value.strip()
        if stripped.startswith("["):
            value = _list_literal(name, stripped)
        else:
            value = [v for v in stripped.replace(";", "|").split("|")]
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise _FieldError(name, "must be a list of strings")
    return [str(v).strip() for v in value if str(v).strip()]


def _list_literal(name: str, text: str) -> list:
    """A list written as JSON, or as a Python repr (what Ragas' `to_csv` writes: ['a', "it's"]). The repr is
    read by `ast.literal_eval`, which accepts only literals: the text is never executed."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise _FieldError(name, "looks like a list but is neither JSON nor a Python list literal") from None
    if not isinstance(value, (list, tuple)):
        raise _FieldError(name, "must be a list of strings")
    return list(value)


def _bool(row: dict, name: str, default: bool) -> bool:
    value = row.get(name, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false", "1", "0", "yes", "no"}:
        return value.strip().lower() in {"true", "1", "yes"}
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise _FieldError(name, f"must be true or false, got {value!r}")


def _history(row: dict) -> list:
    value = row.get("history", [])
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise _FieldError("history", "must be a JSON list of messages") from None
    if not isinstance(value, list):
        raise _FieldError("history", "must be a list of {role, content} messages")
    return value


def select_items(items: list[EvalItem], filters: list[str], limit: int | None) -> list[EvalItem]:
    """Keep items matching every filter ("TEXT" in id or question, or "FIELD=VALUE"), then the first `limit`."""
    for rule in filters:
        items = [item for item in items if _matches(item, rule)]
    return items[:limit] if limit is not None else items


def _matches(item: EvalItem, rule: str) -> bool:
    if "=" in rule:
        name, _, wanted = rule.partition("=")
        value = getattr(item, name.strip(), item.extra.get(name.strip()))
        return str(value).lower() == wanted.strip().lower()
    needle = rule.lower()
    return needle in item.id.lower() or needle in item.question.lower()
