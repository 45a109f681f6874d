"""Privacy: nothing a visitor types is written anywhere unless an operator turns the conversation log on
(`BOT_LOG_CONVERSATIONS=true`), and then only after redaction, kept for `BOT_CONVERSATION_LOG_DAYS` days.

Redaction replaces e-mail addresses, web addresses, phone numbers, ID-like numbers (123-45-6789) and
name-like words: a capitalized word that does not start a sentence and is not a word of the corpus
("Garbutt", "Baclofen" stay; "John" goes), plus whatever follows "my name is", "I'm", "call me" and the like.
It is a heuristic: it errs towards removing too much, and it cannot recognise every name or number.
"""
from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
ID_NUMBER = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
PHONE = re.compile(r"(?<![\w+])\+?\d[\d ().-]{6,}\d(?!\w)")
INTRODUCTION = re.compile(
    r"\b(my name is|my name's|i am called|call me|this is|i'm|i am|im|named|my (?:son|daughter|husband|wife|partner|"
    r"friend|brother|sister|mom|mum|mother|dad|father|boyfriend|girlfriend)(?:'s name is| is called| is named)?)"
    r"(\s+)([A-Za-z][\w'-]*)(\s+[A-Z][\w'-]*)?", re.IGNORECASE)
WORD = re.compile(r"[A-Za-z][\w'-]*")
NOT_NAMES = frozenset("i i'm im a an the on in at to for and but so if my me he she they it this that what when "
                      "how why is are was were do does did can could should would will".split())


def redact(text: str, is_known_word: Callable[[str], bool] = lambda word: False) -> str:
    """`text` with contact details and name-like words replaced by [EMAIL], [URL], [ID], [PHONE], [NAME]."""
    text = EMAIL.sub("[EMAIL]", text)
    text = URL.sub("[URL]", text)
    text = ID_NUMBER.sub("[ID]", text)
    text = PHONE.sub("[PHONE]", text)
    text = INTRODUCTION.sub(lambda m: _introduced(m, is_known_word), text)
    return _redact_capitalized(text, is_known_word)


def _introduced(match: re.Match, is_known_word) -> str:
    lead, space, first, second = match.groups()
    if first.lower() in NOT_NAMES or first.startswith("[") or is_known_word(first):
        return match.group(0)
    surname = bool(second) and second.strip()[0].isupper() and not is_known_word(second.strip())
    return f"{lead}{space}[NAME]" + (" [NAME]" if surname else (second or ""))


def _redact_capitalized(text: str, is_known_word) -> str:
    out, cursor = [], 0
    for match in WORD.finditer(text):
        word = match.group(0)
        before = text[:match.start()].rstrip()
        starts_sentence = not before or before[-1] in ".!?:\n\"“(" or before.endswith("[NAME]")
        if word[0].isupper() and not starts_sentence and not word.isupper() and not is_known_word(word) \
                and word.lower() not in NOT_NAMES:
            out.append(text[cursor:match.start()] + "[NAME]")
            cursor = match.end()
    out.append(text[cursor:])
    return "".join(out)


class ConversationLog:
    """Append-only JSONL files, one per UTC day, under `directory`; files older than `retention_days` are
    deleted when the log starts and whenever the day changes."""

    def __init__(self, directory: Path, retention_days: int, is_known_word: Callable[[str], bool] = lambda w: False):
        self.directory, self.retention_days, self.is_known_word = Path(directory), retention_days, is_known_word
        self._lock = threading.Lock()
        self._day: date | None = None

    def write(self, question: str, record: dict, now: datetime | None = None) -> Path:
        now = now or datetime.now(UTC)
        entry = {"time": now.isoformat(timespec="seconds"), "question": redact(question or "", self.is_known_word),
                 "answer": redact(record.get("answer", ""), self.is_known_word), "route": record.get("route"),
                 "refused": record.get("refused"), "sources": [c.get("url") for c in record.get("citations", [])],
                 "latency_ms": record.get("latency_ms")}
        path = self.directory / f"{now.date().isoformat()}.jsonl"
        with self._lock:
            if self._day != now.date():
                self._day = now.date()
                self.prune(now)
            self.directory.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return path

    def prune(self, now: datetime | None = None) -> list[Path]:
        """Delete day files older than the retention period; returns what was deleted."""
        cutoff = (now or datetime.now(UTC)).date() - timedelta(days=self.retention_days)
        removed = []
        for path in self.directory.glob("*.jsonl") if self.directory.is_dir() else ():
            try:
                day = date.fromisoformat(path.stem)
            except ValueError:
                continue
            if day < cutoff:
                path.unlink(missing_ok=True)
                removed.append(path)
        return removed


class RateLimiter:
    """At most `per_minute` requests per client in any 60-second window (sliding); 0 turns it off."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic, max_clients: int = 50_000):
        self.per_minute, self.clock, self.max_clients = per_minute, clock, max_clients
        self._hits: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> float | None:
        """Record a request; None if allowed, else the seconds until the client may try again."""
        if self.per_minute <= 0:
            return None
        now = self.clock()
        with self._lock:
            hits = [t for t in self._hits.get(client, ()) if now - t < 60.0]
            if len(hits) >= self.per_minute:
                self._hits[client] = hits
                return max(0.0, 60.0 - (now - hits[0]))
            hits.append(now)
            self._hits[client] = hits
            if len(self._hits) > self.max_clients:
                self._forget_idle(now)
        return None

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or now - v[-1] >= 60.0]:
            del self._hits[key]
