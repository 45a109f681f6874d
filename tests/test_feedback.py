"""bot/feedback.py and the chat's thumbs: opt-in, redacted, pruned, and nothing at all when it is off."""
from dataclasses import replace
from datetime import date, timedelta

import pytest
from helpers import chat_turn

from bot.feedback import FeedbackStore, default_url
from bot.web.ui import build_chat
from bot.web.visitors import Visitors


def test_a_vote_keeps_the_redacted_question_the_day_and_the_answer_id_only(tmp_path):
    store = FeedbackStore(default_url(tmp_path), retention_days=30)
    store.record("I'm Maria, call me at 555-123-4567: is baclofen addictive?", "abc123", "answer", "extractive",
                 liked=False, today=date(2026, 11, 30))
    [vote] = store.votes()
    assert vote.question == "I'm [NAME], call me at [PHONE]: is baclofen addictive?"
    assert (vote.day, vote.answer_id, vote.route, vote.mode, vote.vote) == (
        date(2026, 11, 30), "abc123", "answer", "extractive", -1)


def test_old_votes_are_deleted_after_the_retention_period(tmp_path):
    store = FeedbackStore(default_url(tmp_path), retention_days=30)
    today = date(2026, 11, 30)
    store.record("old question", "a", "answer", "extractive", True, today=today - timedelta(days=31))
    store.record("recent question", "b", "refused", "extractive", True, today=today - timedelta(days=3))
    assert store.prune(today) == 1 and [v.answer_id for v in store.votes()] == ["b"]


def chat_functions(bot, **overrides):
    settings = replace(bot.settings, rate_limit_per_min=0, **overrides)
    visitors = Visitors(bot, settings)
    chat = build_chat(visitors, settings)
    return visitors, {fn.fn.__name__: fn.fn for fn in chat.fns.values() if fn.fn}


class Like:
    def __init__(self, index: int, liked):
        self.index, self.liked, self.value = index, liked, None


def test_a_thumbs_down_in_the_chat_reaches_the_store(corpus_bot, tmp_path):
    visitors, functions = chat_functions(corpus_bot, feedback=True, data_dir=tmp_path)
    _, history, _, votes = chat_turn(functions["respond"], "What was the target dose in ALPADIR?", [], [], {}, None)
    functions["vote"](votes, Like(len(history) - 1, False))
    [vote] = visitors.feedback.votes()
    assert vote.vote == -1 and vote.route == "answer" and "ALPADIR" in vote.question and len(vote.answer_id) == 12


@pytest.mark.parametrize("setting", [False])
def test_with_feedback_off_there_are_no_thumbs_and_nothing_is_stored(corpus_bot, tmp_path, setting):
    visitors, functions = chat_functions(corpus_bot, feedback=setting, data_dir=tmp_path)
    chat_turn(functions["respond"], "What was the target dose in ALPADIR?", [], [], {}, None)
    assert visitors.feedback is None and "vote" not in functions
    assert not visitors.vote({"id": "abc", "question": "q"}, liked=True)
    assert not list(tmp_path.rglob("*.sqlite3"))


class PostgresServer:
    """A throwaway PostgreSQL cluster (Debian's binaries; `make test` installs them) on a free port."""

    def __init__(self):
        import glob
        import os
        import shutil
        import subprocess
        import tempfile
        from pathlib import Path

        from helpers import free_port

        directory = Path(tempfile.mkdtemp(prefix="bot-pg-")) / "cluster"  # pytest's tmp dirs are root-only
        directory.parent.chmod(0o755)

        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            pytest.fail("Debian postgresql is missing: `make test` installs it (apt-get install postgresql)")
        self.bin, self.dir, self.port = found[-1].rsplit("/", 1)[0], directory, free_port()
        directory.mkdir()
        as_user: list[str] = []
        if os.geteuid() == 0:  # the server refuses to run as root: run it as Debian's postgres user
            shutil.chown(directory, "postgres", "postgres")
            as_user = ["runuser", "-u", "postgres", "--"]
        self.run = lambda *args: subprocess.run([*as_user, *args], check=True, capture_output=True, timeout=120)
        self.run(f"{self.bin}/initdb", "-D", str(directory / "data"), "-A", "trust", "-U", "bot")
        self.run(f"{self.bin}/pg_ctl", "-D", str(directory / "data"), "-w", "-l", str(directory / "log"),
                 "-o", f"-p {self.port} -k {directory} -c listen_addresses=127.0.0.1", "start")
        self.url = f"postgresql+psycopg://bot@127.0.0.1:{self.port}/postgres"

    def stop(self):
        import shutil

        self.run(f"{self.bin}/pg_ctl", "-D", str(self.dir / "data"), "-w", "-m", "fast", "stop")
        shutil.rmtree(self.dir.parent, ignore_errors=True)


@pytest.mark.slow
def test_replicas_can_share_a_postgresql_feedback_store():
    server = PostgresServer()
    try:
        first, second = FeedbackStore(server.url, 30), FeedbackStore(server.url, 30)  # two replicas
        first.record("Call me at 555-123-4567, what does it cost?", "a1", "refused", "extractive", False,
                     today=date(2026, 11, 30), quotes=["a quote"])
        second.record("is it addictive?", "b2", "answer", "extractive", True, today=date(2026, 11, 30))
        votes = FeedbackStore(server.url, 30).votes()
        assert [(v.answer_id, v.vote) for v in votes] == [("a1", -1), ("b2", 1)]
        assert votes[0].question == "Call me at [PHONE], what does it cost?" and votes[0].quotes == ("a quote",)
    finally:
        server.stop()
