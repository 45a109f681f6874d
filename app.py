"""HTTP and UI: the Gradio chat at `/`, the compact widget at `/widget`, `/embed.js`, and `POST /api/ask`.

`create_app()` builds the whole ASGI app without serving it (tests use it directly); `main()` serves it.
Everything a visitor typed and every corpus string is HTML-escaped before it reaches the page, and the only
links in an answer are the citation URLs that came from the corpus front matter.
"""
from __future__ import annotations

import html
import logging
import time
import uuid

import gradio as gr
from fastapi import FastAPI

from bot.errors import BotError
from bot.schema import Answer, Citation
from bot.service import Bot, default_bot
from bot.settings import Settings

log = logging.getLogger("app")

EXAMPLES = [
    "Is baclofen addictive?",
    "What is baclofen used for?",
    "Does baclofen help with alcohol cravings?",
    "What happened in the ALPADIR trial?",
    "What are the side effects of baclofen?",
]
SAFETY_FOOTER = ("Educational information from cited sources, not medical advice. In a crisis call or text "
                 "<b>988</b>; in an emergency call <b>911</b>.")
UNAVAILABLE = "Sorry, I can't answer right now. Please try again in a moment."

CSS = """
.answer p { margin: 0 0 .5em 0; }
.answer .notice { border-left: 4px solid #b42318; background: #fef3f2; padding: .5em .75em; margin-bottom: .6em; }
.answer .cite { font-size: .8em; vertical-align: super; text-decoration: none; margin-left: 1px; }
.answer .disclaimer { color: #667085; font-size: .85em; margin-top: .4em; }
.answer details { margin-top: .5em; }
.answer details blockquote { margin: .4em 0 .6em 0; padding-left: .6em; border-left: 3px solid var(--accent, #1f6f8b); }
.answer mark { background: #fff3b0; color: inherit; padding: 0 1px; }
.answer .source-title { font-weight: 600; }
.answer .refusal { color: #344054; }
footer { display: none !important; }
"""


# --- rendering ------------------------------------------------------------------------------------
def escape_text(text: str) -> str:
    """Visitor or corpus text as inert HTML: escaped, line breaks kept, list bullets shown as bullets."""
    lines = [html.escape(line, quote=True) for line in text.split("\n")]
    lines = ["&bull; " + line[2:] if line.startswith("- ") else line for line in lines]
    return "<br>".join(lines)


def user_html(text: str) -> str:
    return f'<div class="visitor">{escape_text(text)}</div>'


def answer_html(answer: Answer) -> str:
    """One HTML block: notices, sentences with [n] links, the disclaimer, and a collapsible Sources list."""
    parts = [f'<div class="notice">{escape_text(n)}</div>' for n in answer.notices]
    if answer.sentences:
        by_n = {c.n: c for c in answer.citations}
        body = " ".join(f"{escape_text(s.text)}{_cite_link(by_n[s.n])}" for s in answer.sentences)
        parts.append(f"<p>{body}</p>")
    elif not answer.notices or answer.route in ("refused", "invalid"):
        parts.append(f'<p class="refusal">{escape_text(_body_without_notices(answer))}</p>')
    if answer.disclaimer:
        parts.append(f'<div class="disclaimer">{html.escape(answer.disclaimer)}</div>')
    if answer.citations:
        parts.append(sources_html(answer.citations))
    return '<div class="answer">' + "".join(parts) + "</div>"


def _body_without_notices(answer: Answer) -> str:
    text = answer.text
    for notice in answer.notices:
        text = text.replace(notice, "")
    return text.strip()


def _cite_link(citation: Citation) -> str:
    return (f'<a class="cite" href="{html.escape(citation.url, quote=True)}" target="_blank" '
            f'rel="noopener noreferrer" title="{html.escape(citation.title, quote=True)}">[{citation.n}]</a>')


def sources_html(citations: list[Citation]) -> str:
    items = []
    for c in citations:
        link = (f'<a href="{html.escape(c.url, quote=True)}" target="_blank" rel="noopener noreferrer">'
                f'{html.escape(c.url)}</a>')
        section = f" &middot; {html.escape(c.heading)}" if c.heading and c.heading != c.title else ""
        items.append(f'<li><span class="source-title">[{c.n}] {html.escape(c.title)}</span>{section}'
                     f"<blockquote>{highlighted_passage(c)}</blockquote>{link}</li>")
    return f'<details><summary>Sources ({len(citations)})</summary><ol class="sources">{"".join(items)}</ol></details>'


def highlighted_passage(citation: Citation) -> str:
    """The cited passage, escaped, with exactly the quoted sentences wrapped in <mark>."""
    text, base, out, cursor = citation.passage_text, citation.passage_start, [], 0
    for start, end in sorted(citation.spans):
        out.append(escape_text(text[cursor:start - base]))
        out.append(f"<mark>{escape_text(text[start - base:end - base])}</mark>")
        cursor = end - base
    out.append(escape_text(text[cursor:]))
    return "".join(out)


# --- answering ------------------------------------------------------------------------------------
def answer_record(bot: Bot, question, history=None) -> dict:
    """The `bot.eval` results-line object for one question (what /api/ask and the Gradio API return)."""
    started = time.perf_counter()
    answer = safe_answer(bot, question, history)
    record = {"id": uuid.uuid4().hex[:12], "question": question if isinstance(question, str) else ""}
    record.update(answer.to_record())
    record["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return record


def safe_answer(bot: Bot, question, history=None) -> Answer:
    """bot.answer, with operational failures turned into a friendly refusal instead of an error page."""
    try:
        return bot.answer(question, history=history)
    except BotError as exc:
        log.warning("answer failed: %s", exc)
        return Answer(text=UNAVAILABLE, refused=True, route="unavailable")
    except Exception:
        log.exception("unexpected error while answering")
        return Answer(text=UNAVAILABLE, refused=True, route="unavailable")


# --- UI -------------------------------------------------------------------------------------------
def build_chat(bot: Bot, settings: Settings, compact: bool = False) -> gr.Blocks:
    """The chat as a Gradio Blocks app; `compact` is the narrow layout used inside the widget iframe."""
    greeting = {"role": "assistant", "content": f'<div class="answer"><p>{html.escape(settings.greeting)}</p></div>'}
    with gr.Blocks(title=settings.center_name, fill_height=compact) as chat:
        if not compact:
            gr.Markdown(f"## {html.escape(settings.center_name)}\nAnswers quoted from cited sources about baclofen "
                        "and addiction treatment.")
        chatbot = gr.Chatbot(value=[greeting], height=None if compact else 520, show_label=False,
                             elem_id="chat", sanitize_html=True, render_markdown=True, feedback_options=None,
                             buttons=["copy"], min_height=300 if compact else None)
        turns = gr.State([])
        with gr.Row():
            box = gr.Textbox(placeholder="Ask a question about baclofen…", show_label=False, scale=8,
                             max_lines=4, max_length=settings.max_question_chars, elem_id="question", autofocus=True)
            send = gr.Button("Send", variant="primary", scale=1, min_width=70, elem_id="send")
        gr.Examples(EXAMPLES[:3] if compact else EXAMPLES, inputs=[box], label="Try asking")
        gr.HTML(f'<div class="safety-footer">{SAFETY_FOOTER}</div>')

        def respond(message: str, history: list, previous_turns: list):
            answer = safe_answer(bot, message, previous_turns)
            history = history + [{"role": "user", "content": user_html(message)},
                                 {"role": "assistant", "content": answer_html(answer)}]
            previous_turns = (previous_turns + [{"role": "user", "content": message},
                                                {"role": "assistant", "content": answer.text}])[-8:]
            return "", history, previous_turns

        for trigger in (box.submit, send.click):
            trigger(respond, [box, chatbot, turns], [box, chatbot, turns], api_visibility="private",
                    concurrency_limit=settings.concurrency_limit)

        def ask(question: str, history: list | None = None) -> dict:
            """Answer one question; returns the results-line object (answer, refused, citations, ...)."""
            return answer_record(bot, question, history)

        gr.api(ask, api_name="ask", concurrency_limit=settings.concurrency_limit)
    return chat


def create_app(settings: Settings | None = None, bot: Bot | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    bot = bot or default_bot()
    api = FastAPI(title=settings.center_name, docs_url=None, redoc_url=None, openapi_url=None)

    @api.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    @api.post("/api/ask")
    def ask(payload: dict) -> dict:
        return answer_record(bot, payload.get("question"), payload.get("history"))

    theme = gr.themes.Default(primary_hue="cyan")
    gr.mount_gradio_app(api, build_chat(bot, settings), path="/", theme=theme, css=CSS, footer_links=[])
    return api


def main() -> None:
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    bot = default_bot()
    try:
        bot.warm_up()
    except BotError as exc:
        log.error("%s", exc)
    print(f"Serving on http://{settings.host}:{settings.port}", flush=True)
    uvicorn.run(create_app(settings, bot), host=settings.host, port=settings.port, log_level="warning")


if __name__ == "__main__":
    main()
