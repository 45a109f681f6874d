"""app.py: create_app() wires the chat, the widget, the REST API and the probes without serving."""
from fastapi.testclient import TestClient

from app import create_app


def test_create_app_serves_every_part(corpus_bot):
    client = TestClient(create_app(corpus_bot.settings, corpus_bot))
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["ready"] is True
    assert client.post("/api/ask", json={"question": "What was the target dose in ALPADIR?"}).status_code == 200
    assert "gradio" in client.get("/").text.lower()
    assert client.get("/widget/").status_code == 200
    assert "attachShadow" in client.get("/embed.js").text
