"""The app: builds without serving, answers through Gradio's client API, renders answers as inert HTML."""
import pytest

from app import answer_html, build_chat, create_app, highlighted_passage, user_html
from bot.schema import Answer


def test_create_app_builds_without_serving(corpus_bot):
    app = create_app(corpus_bot.settings, corpus_bot)
    assert {"/healthz"} <= {route.path for route in app.routes}


def test_visitor_text_is_escaped_and_never_becomes_a_link():
    rendered = user_html('<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>\nhi')
    assert "<script>" not in rendered and "<img" not in rendered and "&lt;script&gt;" in rendered
    assert "<a " not in rendered and "<br>hi" in rendered


def test_answer_html_links_only_corpus_urls_and_marks_the_quoted_span(corpus_bot):
    answer = corpus_bot.answer("What was the target dose in ALPADIR?")
    rendered = answer_html(answer)
    hrefs = {part.split('"')[0] for part in rendered.split('href="')[1:]}
    assert hrefs == {c.url for c in answer.citations}
    assert "<mark>" in rendered and "<details>" in rendered and "not medical advice" in rendered


def test_corpus_markup_is_escaped_in_answers_and_sources():
    from bot.schema import AnswerSentence, Citation

    text = "Bad <b>bold</b> & <script>x()</script>"
    citation = Citation(n=1, title="T <i>", url="https://example.org/a?b=1&c=2", quote=text, passage_id="d#0",
                        start=0, end=len(text), passage_text=text, passage_start=0, spans=((0, len(text)),))
    answer = Answer(text=f"{text} [1]", citations=[citation], sentences=[AnswerSentence(text, 1, "d#0", 0, len(text))])
    rendered = answer_html(answer)
    assert "<script>" not in rendered and "<b>bold" not in rendered and "&lt;b&gt;bold" in rendered
    assert "T &lt;i&gt;" in rendered and 'href="https://example.org/a?b=1&amp;c=2"' in rendered
    assert highlighted_passage(citation).startswith("<mark>Bad &lt;b&gt;")


def chat_handler(bot, **overrides):
    from dataclasses import replace

    from app import Guard

    settings = replace(bot.settings, **overrides)
    chat = build_chat(bot, settings, Guard(bot, settings))
    return next(fn.fn for fn in chat.fns.values() if fn.fn and fn.fn.__name__ == "respond")


def test_chat_handler_keeps_raw_turns_for_follow_ups(corpus_bot):
    respond = chat_handler(corpus_bot)
    _, history, turns = respond("Tell me about ALPADIR", [], [], None)
    assert turns[0] == {"role": "user", "content": "Tell me about ALPADIR"}
    _, history, turns = respond("What dose did they use?", history, turns, None)
    assert "180 mg" in history[-1]["content"] and len(history) == 4


def test_operational_errors_become_a_friendly_message(corpus_bot, monkeypatch):
    from app import answer_record
    from bot.errors import IndexUnavailableError

    def down(*args, **kwargs):
        raise IndexUnavailableError("The Chroma server at x:1 cannot be reached")

    monkeypatch.setattr(corpus_bot, "answer", down)
    record = answer_record(corpus_bot, "Is baclofen addictive?")
    assert record["refused"] and "try again" in record["answer"] and "Traceback" not in record["answer"]


@pytest.mark.slow
def test_gradio_client_api_answers_with_the_results_line_shape(served_app):
    from gradio_client import Client

    client = Client(served_app.url + "/", verbose=False)
    record = client.predict("How many patients were randomized in ALPADIR?", None, api_name="/ask")
    assert {"id", "question", "answer", "refused", "citations", "contexts", "latency_ms"} <= set(record)
    assert "320" in record["answer"] and record["citations"][0]["url"].startswith("https://doi.org/")
    assert {"n", "title", "url", "quote"} <= set(record["citations"][0])
