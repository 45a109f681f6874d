"""bot/web/metrics.py through the app: off by default, counts by route, protected by a token when set."""
from dataclasses import replace

from fastapi.testclient import TestClient

from app import create_app


def app_client(corpus_bot, **overrides):
    settings = replace(corpus_bot.settings, rate_limit_per_min=0, **overrides)
    return TestClient(create_app(settings, corpus_bot))


def test_metrics_are_off_by_default(corpus_bot):
    assert app_client(corpus_bot).get("/metrics").status_code != 200


def test_metrics_count_questions_by_route_and_time_answers(corpus_bot):
    client = app_client(corpus_bot, metrics=True)
    client.post("/api/ask", json={"question": "What was the target dose in ALPADIR?"})
    client.post("/api/ask", json={"question": "What's the weather in Miami tomorrow?"})
    client.post("/api/ask", json={"question": "i want to kill myself"})
    text = client.get("/metrics").text
    assert 'bot_questions_total{route="answer"} 1.0' in text, text
    assert 'bot_questions_total{route="refused"} 1.0' in text and "bot_refusals_total 1.0" in text
    assert 'bot_safety_notices_total{route="crisis"} 1.0' in text
    assert "bot_answer_latency_seconds_count 3.0" in text
    assert "weather" not in text and "ALPADIR" not in text  # no visitor text in labels


def test_a_metrics_token_is_required_when_set(corpus_bot):
    client = app_client(corpus_bot, metrics=True, metrics_token="s3cret")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200
