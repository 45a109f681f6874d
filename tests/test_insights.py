"""bot/insights.py and /admin: refused questions grouped by meaning, disliked answers with their quotes,
per-day counts, sources; CSV export; the page only behind the admin token."""
import base64
import json
from dataclasses import replace
from datetime import date

import pytest
from fastapi.testclient import TestClient
from helpers import chat_turn

from app import create_app
from bot.feedback import FeedbackStore, default_url
from bot.insights import gather, render_html, write_csv

TODAY = date(2026, 11, 30)


def write_log(data_dir, entries):
    directory = data_dir / "conversations"
    directory.mkdir(parents=True)
    (directory / "2026-11-29.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries))


@pytest.mark.slow
def test_refused_questions_are_grouped_by_meaning_largest_first(real_embedder, tmp_path):
    from bot.settings import Settings

    settings = Settings(data_dir=tmp_path, log_conversations=True)
    asked = ["how much does baclofen cost", "what is the price of baclofen", "is baclofen expensive",
             "can baclofen cure migraines"]
    write_log(tmp_path, [{"time": "2026-11-29T10:00:00", "question": q, "route": "refused", "refused": True,
                          "sources": []} for q in asked]
              + [{"time": "2026-11-29T11:00:00", "question": "is it addictive", "route": "answer", "refused": False,
                  "sources": ["https://a.example", "https://a.example", "https://b.example"]}])
    insights = gather(settings, real_embedder.embed, today=TODAY)
    assert [g.count for g in insights.refused_groups] == [3, 1]
    assert "migraines" in insights.refused_groups[1].label
    assert insights.per_day == [(date(2026, 11, 29), 1, 4)]
    assert insights.sources[0] == ("https://a.example", 2)


def test_a_disliked_answer_goes_from_the_chat_to_the_report_and_the_csv(corpus_bot, tmp_path):
    from bot.web.ui import build_chat
    from bot.web.visitors import Visitors

    settings = replace(corpus_bot.settings, feedback=True, data_dir=tmp_path, rate_limit_per_min=0)
    chat = build_chat(Visitors(corpus_bot, settings), settings)
    functions = {fn.fn.__name__: fn.fn for fn in chat.fns.values() if fn.fn}
    _, history, _, votes = chat_turn(functions["respond"], "What was the target dose in ALPADIR?", [], [], {}, None)

    class Dislike:
        index, liked, value = len(history) - 1, False, None

    functions["vote"](votes, Dislike())
    insights = gather(settings, corpus_bot.embed_many, today=date.today())
    [disliked] = insights.disliked
    assert "ALPADIR" in disliked.question and any("180 mg" in q for q in disliked.quotes)
    page = render_html(insights)
    assert "ALPADIR" in page and "180 mg" in page and "feedback store" in page
    written = write_csv(insights, tmp_path / "out")
    assert "180 mg" in (tmp_path / "out" / "disliked.csv").read_text() and len(written) == 4


def test_with_nothing_collected_the_report_says_how_to_turn_it_on(tmp_path):
    from bot.settings import Settings

    page = render_html(gather(Settings(data_dir=tmp_path), lambda texts: None, today=TODAY))
    assert "BOT_FEEDBACK=on" in page and not list(tmp_path.iterdir())


def test_admin_is_off_without_a_token_and_needs_the_right_one(corpus_bot, tmp_path):
    settings = replace(corpus_bot.settings, data_dir=tmp_path)
    assert TestClient(create_app(settings, corpus_bot)).get("/admin").status_code != 200
    FeedbackStore(default_url(tmp_path), 30).record("price of baclofen?", "a1", "refused", "extractive", False)
    client = TestClient(create_app(replace(settings, admin_token="t0ken"), corpus_bot))
    assert client.get("/admin").status_code == 401
    assert client.get("/admin").headers["www-authenticate"].startswith("Basic")
    assert client.get("/admin", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/admin", headers={"Authorization": "Bearer t0ken"}).status_code == 200
    basic = base64.b64encode(b"owner:t0ken").decode()
    page = client.get("/admin", headers={"Authorization": f"Basic {basic}"})
    assert page.status_code == 200 and "price of baclofen" in page.text and page.headers["cache-control"] == "no-store"
