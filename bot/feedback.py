"""Visitors' thumbs up and down on answers, for the site owner (opt-in: `BOT_FEEDBACK=on`).

What is kept, per vote: the day (no time), the answer's id, its route and mode, the vote, the question after
the same redaction as the conversation log (e-mail, phone, ID-like numbers and name-like words removed), and
the quotes the answer cited (corpus text, never the visitor's). No address, no session. Rows older than
`BOT_FEEDBACK_DAYS` are deleted when the app starts and once a day. The store is SQLite under `BOT_DATA_DIR`
by default; `BOT_FEEDBACK_DB` takes any SQLAlchemy URL (e.g. `postgresql+psycopg://...`) so that replicas
behind a load balancer can share one database.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Column, Date, Integer, MetaData, String, Table, Text, create_engine, delete, insert, select

from bot.privacy import redact

METADATA = MetaData()
FEEDBACK = Table(
    "feedback", METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", Date, nullable=False, index=True),
    Column("answer_id", String(32), nullable=False),
    Column("route", String(32), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("vote", Integer, nullable=False),  # +1 up, -1 down
    Column("question", Text, nullable=False),  # redacted
    Column("quotes", Text, nullable=False, default="[]"),  # JSON list of the cited quotes (corpus text)
)


@dataclass(frozen=True)
class Vote:
    day: date
    answer_id: str
    route: str
    mode: str
    vote: int
    question: str
    quotes: tuple[str, ...] = ()


def default_url(data_dir: Path) -> str:
    return f"sqlite:///{Path(data_dir).resolve() / 'feedback.sqlite3'}"


class FeedbackStore:
    def __init__(self, url: str, retention_days: int, is_known_word: Callable[[str], bool] = lambda w: False):
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(url, pool_pre_ping=True)
        METADATA.create_all(self.engine)
        self.retention_days, self.is_known_word = retention_days, is_known_word
        self._pruned_on: date | None = None
        self._lock = threading.Lock()

    def record(self, question: str, answer_id: str, route: str, mode: str, liked: bool,
               today: date | None = None, quotes: list[str] | tuple[str, ...] = ()) -> None:
        today = today or datetime.now(UTC).date()
        self._prune_daily(today)
        row = {"day": today, "answer_id": answer_id[:32], "route": route[:32], "mode": mode[:16],
               "vote": 1 if liked else -1, "question": redact(question or "", self.is_known_word),
               "quotes": json.dumps(list(quotes), ensure_ascii=False)}
        with self.engine.begin() as connection:
            connection.execute(insert(FEEDBACK), row)

    def votes(self, since: date | None = None) -> list[Vote]:
        query = select(FEEDBACK).order_by(FEEDBACK.c.day, FEEDBACK.c.id)
        if since is not None:
            query = query.where(FEEDBACK.c.day >= since)
        with self.engine.connect() as connection:
            return [Vote(r.day, r.answer_id, r.route, r.mode, r.vote, r.question, tuple(json.loads(r.quotes or "[]")))
                    for r in connection.execute(query)]

    def prune(self, today: date | None = None) -> int:
        cutoff = (today or datetime.now(UTC).date()) - timedelta(days=self.retention_days)
        with self.engine.begin() as connection:
            return connection.execute(delete(FEEDBACK).where(FEEDBACK.c.day < cutoff)).rowcount or 0

    def _prune_daily(self, today: date) -> None:
        with self._lock:
            if self._pruned_on == today:
                return
            self._pruned_on = today
        self.prune(today)
