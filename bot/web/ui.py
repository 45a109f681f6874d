"""The Gradio chat: the full page at `/` and the compact layout the widget frames at `/widget/`."""
from __future__ import annotations

from pathlib import Path

import gradio as gr

from bot.schema import Route
from bot.settings import Settings
from bot.web.render import SAFETY_FOOTER, answer_html, branding, greeting_message, header_html, user_html
from bot.web.visitors import Visitors

STATIC = Path(__file__).resolve().parent / "static"
CHAT_CSS = (STATIC / "chat.css").read_text(encoding="utf-8")
WIDGET_CSS = CHAT_CSS + (STATIC / "widget.css").read_text(encoding="utf-8")
WIDGET_HEAD = (STATIC / "widget-head.html").read_text(encoding="utf-8")
EXAMPLES = [
    "Is baclofen addictive?",
    "What is baclofen used for?",
    "Does baclofen help with alcohol cravings?",
    "What happened in the ALPADIR trial?",
    "What are the side effects of baclofen?",
]
TURNS_KEPT = 8  # messages of the conversation passed on for follow-up questions
FAILED_ROUTES = (Route.RATE_LIMITED, Route.TIMED_OUT, Route.UNAVAILABLE)


def build_chat(visitors: Visitors, settings: Settings, compact: bool = False) -> gr.Blocks:
    """The chat as a Gradio Blocks app; `compact` is the narrow layout used inside the widget iframe."""
    with gr.Blocks(title=settings.center_name, fill_height=compact, analytics_enabled=False) as chat:
        header = gr.HTML(header_html(branding(settings), compact), elem_id="header")
        chatbot = gr.Chatbot(value=[greeting_message(settings.greeting)],
                             height="calc(100vh - 205px)" if compact else 520, layout="panel" if compact else None,
                             show_label=False, elem_id="chat", sanitize_html=True, render_markdown=True,
                             feedback_options=("Like", "Dislike") if visitors.feedback else None,
                             buttons=["copy"])
        turns = gr.State([])
        answered = gr.State({})  # chat message index -> what a vote on it records (no answer text)
        with gr.Row(equal_height=True):
            box = gr.Textbox(placeholder="Ask a question about baclofen…", show_label=False, scale=8, lines=1,
                             max_lines=4, max_length=settings.max_question_chars, elem_id="question",
                             autofocus=not compact)
            send = gr.Button("Send", variant="primary", scale=1, min_width=64, elem_id="send")
        if not compact:
            gr.Examples(EXAMPLES, inputs=[box], label="Try asking")
        gr.HTML(f'<div class="safety-footer">{SAFETY_FOOTER}</div>')

        async def respond(message: str, history: list, previous_turns: list, votes: dict, request: gr.Request):
            asked = history + [{"role": "user", "content": user_html(message)}]
            visit = None
            async for visit in visitors.answers(message, previous_turns, visitors.client_of(request)):
                if visit.partial:  # verified sentences so far, from the site's own model
                    yield "", asked + [{"role": "assistant", "content": answer_html(visit.answer)}], \
                        previous_turns, votes
            assert visit is not None
            history = asked + [{"role": "assistant", "content": answer_html(visit.answer)}]
            previous_turns = (previous_turns + [{"role": "user", "content": message},
                                                {"role": "assistant", "content": visit.answer.text}])[-TURNS_KEPT:]
            if visitors.feedback and visit.answer.route not in FAILED_ROUTES:
                votes = {**votes, len(history) - 1: {"question": message, "id": visit.record["id"],
                                                     "route": str(visit.answer.route), "mode": visit.answer.mode,
                                                     "quotes": [c.quote for c in visit.answer.citations]}}
            yield "", history, previous_turns, votes

        # Gradio starts every queued event at once; the CPU-bound part waits for the worker pool that REST
        # shares (Visitors.workers). A Gradio limit as well would queue each event twice, and Gradio's
        # queue sends every waiting visitor a position update whenever one starts.
        chat_concurrency = settings.queue_max_size
        for trigger in (box.submit, send.click):
            trigger(respond, [box, chatbot, turns, answered], [box, chatbot, turns, answered],
                    api_visibility="private", concurrency_limit=chat_concurrency, concurrency_id="answers")

        if visitors.feedback:
            def vote(votes: dict, event: gr.LikeData):
                index = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
                liked = event.liked is True or event.liked == "Like"
                if event.liked in (True, False, "Like", "Dislike"):
                    visitors.vote(votes.get(index) or votes.get(str(index)) or {}, liked)

            chatbot.like(vote, [answered], None, api_visibility="private", queue=False)

        async def ask(question: str, history: list | None = None, request: gr.Request | None = None) -> dict:
            """Answer one question; returns the results-line object (answer, refused, citations, ...)."""
            problem = visitors.problem(question, history)
            if problem:
                raise gr.Error(problem)
            visit = await visitors.ask(question, history, visitors.client_of(request))
            if visit.answer.route in FAILED_ROUTES:
                raise gr.Error(visit.answer.text)
            return visit.record

        gr.api(ask, api_name="ask", concurrency_limit=chat_concurrency, concurrency_id="answers")
        chat.queue(default_concurrency_limit=chat_concurrency, max_size=settings.queue_max_size)
        if compact:
            def personalize(request: gr.Request):
                brand = branding(settings, dict(request.query_params) if request else {})
                return header_html(brand, compact=True), [greeting_message(brand["greeting"])]

            chat.load(personalize, None, [header, chatbot], api_visibility="private", queue=False)
    return chat
