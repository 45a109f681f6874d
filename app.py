"""HTTP and UI: the Gradio chat at `/`, the compact widget at `/widget`, `/embed.js`, and `POST /api/ask`.

`create_app()` builds the whole ASGI app without serving it (tests use it directly); `main()` serves it.
Everything a visitor typed and every corpus string is HTML-escaped before it reaches the page, and the only
links in an answer are the citation URLs that came from the corpus front matter.
"""
from __future__ import annotations

import html
import importlib.util
import json
import os
import sys
import logging
import re
import time
import uuid
from pathlib import Path

import anyio
import anyio.to_thread
import gradio as gr
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response

from bot.errors import BotError, IndexMissingError
from bot.privacy import ConversationLog, RateLimiter
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
RATE_LIMITED = "You're sending questions faster than I can answer. Please wait {seconds} seconds and ask again."
TIMED_OUT = "Sorry, that took too long to answer. Please try again."

CSS = """
.brand h2 { margin: 0 0 .2em 0; }
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
class Guard:
    """What every way in (chat, widget, REST, Gradio API) shares: the rate limiter, who the client is, and
    the opt-in conversation log."""

    def __init__(self, bot: Bot, settings: Settings):
        self.bot, self.settings = bot, settings
        self.limiter = RateLimiter(settings.rate_limit_per_min)
        self.log = ConversationLog(settings.data_dir / "conversations", settings.conversation_log_days,
                                   bot.is_corpus_word) if settings.log_conversations else None
        if self.log:
            self.log.prune()

    def client_of(self, request) -> str:
        headers = getattr(request, "headers", None) or {}
        forwarded = headers.get("x-forwarded-for") if self.settings.trust_proxy_headers else None
        if forwarded:
            return forwarded.split(",")[0].strip()
        client = getattr(request, "client", None)
        return getattr(client, "host", None) or "unknown"

    def answer(self, question, history=None) -> Answer:
        answer = safe_answer(self.bot, question, history)
        if self.log and isinstance(question, str):
            self.log.write(question, answer.to_record())
        return answer

    def record(self, question, history=None) -> dict:
        record = answer_record(self.bot, question, history)
        if self.log and isinstance(question, str):
            self.log.write(question, record)
        return record


def answer_record(bot: Bot, question, history=None) -> dict:
    """The `bot.eval` results-line object for one question (what /api/ask and the Gradio API return)."""
    started = time.perf_counter()
    answer = safe_answer(bot, question, history)
    record = {"id": uuid.uuid4().hex[:12], "question": question if isinstance(question, str) else ""}
    record.update(answer.to_record())
    record["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return record


def safe_answer(bot: Bot, question, history=None) -> Answer:
    """bot.answer, with operational failures turned into a clear message instead of an error page: a missing
    index says how to build it; an unreachable index or an unexpected error asks to try again (logged)."""
    try:
        return bot.answer(question, history=history)
    except IndexMissingError as exc:
        log.error("%s", exc)
        return Answer(text=str(exc), refused=True, route="unavailable")
    except BotError as exc:
        log.warning("answer failed: %s", exc)
        return Answer(text=UNAVAILABLE, refused=True, route="unavailable")
    except Exception:
        log.exception("unexpected error while answering")  # the traceback, never the question text
        return Answer(text=UNAVAILABLE, refused=True, route="unavailable")


# --- UI -------------------------------------------------------------------------------------------
def build_chat(bot: Bot, settings: Settings, guard: "Guard", compact: bool = False) -> gr.Blocks:
    """The chat as a Gradio Blocks app; `compact` is the narrow layout used inside the widget iframe."""
    with gr.Blocks(title=settings.center_name, fill_height=compact, analytics_enabled=False) as chat:
        header = gr.HTML(header_html(branding(settings), compact), elem_id="header")
        chatbot = gr.Chatbot(value=[greeting_message(settings.greeting)],
                             height="calc(100vh - 205px)" if compact else 520, layout="panel" if compact else None,
                             show_label=False, elem_id="chat", sanitize_html=True, render_markdown=True,
                             feedback_options=None, buttons=["copy"])
        turns = gr.State([])
        with gr.Row(equal_height=True):
            box = gr.Textbox(placeholder="Ask a question about baclofen…", show_label=False, scale=8, lines=1,
                             max_lines=4, max_length=settings.max_question_chars, elem_id="question",
                             autofocus=not compact)
            send = gr.Button("Send", variant="primary", scale=1, min_width=64, elem_id="send")
        if not compact:
            gr.Examples(EXAMPLES, inputs=[box], label="Try asking")
        gr.HTML(f'<div class="safety-footer">{SAFETY_FOOTER}</div>')

        def respond(message: str, history: list, previous_turns: list, request: gr.Request):
            wait = guard.limiter.retry_after(guard.client_of(request))
            if wait is not None:
                answer = Answer(text=RATE_LIMITED.format(seconds=int(wait) + 1), refused=True, route="rate_limited")
            else:
                answer = guard.answer(message, previous_turns)
            history = history + [{"role": "user", "content": user_html(message)},
                                 {"role": "assistant", "content": answer_html(answer)}]
            previous_turns = (previous_turns + [{"role": "user", "content": message},
                                                {"role": "assistant", "content": answer.text}])[-8:]
            return "", history, previous_turns

        for trigger in (box.submit, send.click):
            trigger(respond, [box, chatbot, turns], [box, chatbot, turns], api_visibility="private",
                    concurrency_limit=settings.answer_workers, concurrency_id="answers")

        def ask(question: str, history: list | None = None, request: gr.Request = None) -> dict:
            """Answer one question; returns the results-line object (answer, refused, citations, ...)."""
            wait = guard.limiter.retry_after(guard.client_of(request))
            if wait is not None:
                raise gr.Error(RATE_LIMITED.format(seconds=int(wait) + 1))
            return guard.record(question, history)

        gr.api(ask, api_name="ask", concurrency_limit=settings.answer_workers, concurrency_id="answers")
        chat.queue(default_concurrency_limit=settings.answer_workers, max_size=settings.queue_max_size)
        if compact:
            def personalize(request: gr.Request):
                brand = branding(settings, dict(request.query_params) if request else {})
                return header_html(brand, compact=True), [greeting_message(brand["greeting"])]

            chat.load(personalize, None, [header, chatbot], api_visibility="private", queue=False)
    return chat


def greeting_message(text: str) -> dict:
    return {"role": "assistant", "content": f'<div class="answer"><p>{html.escape(text)}</p></div>'}


HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$")
PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{4,22}$")


def branding(settings: Settings, overrides: dict | None = None) -> dict:
    """Center name, greeting, accent colour, logo, phone and call to action: settings first, then the safe
    `data-` overrides a host page passes (validated; anything else is ignored)."""
    brand = {"name": settings.center_name, "greeting": settings.greeting, "accent": settings.accent_color,
             "logo": settings.logo_url, "phone": settings.admissions_phone, "cta": settings.call_to_action,
             "position": settings.widget_position}
    for key, value in (overrides or {}).items():
        value = str(value).strip()[:200]
        if key in ("name", "greeting", "cta") and value:
            brand[key] = value
        elif key == "accent" and HEX_COLOUR.match(value):
            brand[key] = value
        elif key == "phone" and PHONE.match(value):
            brand[key] = value
        elif key == "position" and value in ("bottom-right", "bottom-left"):
            brand[key] = value
    return brand


def header_html(brand: dict, compact: bool) -> str:
    """The page heading (full page) or just the call-to-action line (widget: its panel bar shows the name)."""
    esc = html.escape
    call = ""
    if brand["phone"]:
        digits = re.sub(r"[^0-9+]", "", brand["phone"])
        call = (f'<a class="cta" href="tel:{esc(digits, quote=True)}">{esc(brand["cta"])}: '
                f'{esc(brand["phone"])}</a>')
    if compact:
        return f'<div class="brand compact" style="--accent:{esc(brand["accent"], quote=True)}">{call}</div>'
    return (f'<div class="brand" style="--accent:{esc(brand["accent"], quote=True)}"><h2>{esc(brand["name"])}</h2>'
            f"<p>Answers quoted from cited sources about baclofen and addiction treatment.</p>{call}</div>")


WIDGET_CSS = CSS + """
.gradio-container { padding: 4px 6px !important; }
.gradio-container .main.fillable { padding: 0 !important; }
.brand.compact { text-align: center; font-size: .85em; min-height: 0; }
.brand.compact:empty { display: none; }
.safety-footer { font-size: .72em; line-height: 1.3; }
#send { min-height: 0; }
"""
WIDGET_HEAD = """<script>
document.addEventListener("keydown", function (event) {
  if (event.key === "Escape" && window.parent !== window) {
    window.parent.postMessage({type: "bot-widget-close"}, "*");
  }
});
</script>"""


# --- HTTP -----------------------------------------------------------------------------------------
def frame_ancestors(settings: Settings) -> str:
    return " ".join(["'self'", *settings.allowed_origins])


def security_headers(path: str, settings: Settings) -> dict[str, str]:
    """Headers for every response. Gradio's pages need inline scripts and styles; they load nothing from
    other origins, and the CSP says so (a patient's visit must not leak to third parties)."""
    policy = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
              "img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' blob: data:; "
              "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'self'; form-action 'self'; "
              f"frame-ancestors {frame_ancestors(settings) if path.startswith(('/widget', '/examples')) else chr(39) + 'self' + chr(39)}")
    return {"Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer", "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
            "Cross-Origin-Opener-Policy": "same-origin"}


def cors_headers(origin: str | None, settings: Settings) -> dict[str, str]:
    """CORS for /api/* only to the origins allowed to embed the widget (deny by default)."""
    if not origin or origin not in settings.allowed_origins:
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin",
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS", "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600"}


def install_middleware(api: FastAPI, settings: Settings) -> None:
    @api.middleware("http")
    async def headers_and_cors(request, call_next):
        origin = request.headers.get("origin")
        is_api = request.url.path.startswith("/api/")
        if is_api and _declared_length(request) > settings.max_body_bytes:
            response = error(413, f"The request body is too large (limit {settings.max_body_bytes} bytes).")
        elif is_api and request.method == "OPTIONS":
            allowed = cors_headers(origin, settings)
            response = Response(status_code=204 if allowed else 403, headers=allowed)
        else:
            response = await call_next(request)
            if is_api:
                response.headers.update(cors_headers(origin, settings))
        response.headers.update(security_headers(request.url.path, settings))
        return response


def _declared_length(request) -> int:
    try:
        return int(request.headers.get("content-length") or 0)
    except ValueError:
        return 0


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def install_routes(api: FastAPI, guard: Guard, settings: Settings) -> None:
    # Answers are CPU-bound: more of them at once than there are cores only makes every one slower.
    answer_limiter = anyio.CapacityLimiter(settings.answer_workers)

    @api.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    @api.post("/api/ask")
    async def ask(request: Request):
        wait = guard.limiter.retry_after(guard.client_of(request))
        if wait is not None:
            response = error(429, RATE_LIMITED.format(seconds=int(wait) + 1))
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response
        body = await request.body()
        if len(body) > settings.max_body_bytes:
            return error(413, f"The request body is too large (limit {settings.max_body_bytes} bytes).")
        try:
            payload = json.loads(body or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return error(400, "The request body must be JSON, e.g. {\"question\": \"Is baclofen addictive?\"}.")
        problem = validate_ask(payload, settings)
        if problem:
            return error(422, problem)
        try:
            with anyio.fail_after(settings.answer_timeout_seconds):
                record = await anyio.to_thread.run_sync(guard.record, payload["question"], payload.get("history"),
                                                        limiter=answer_limiter, abandon_on_cancel=True)
        except TimeoutError:
            return error(503, TIMED_OUT)
        if record.get("route") == "unavailable":
            return error(503, record["answer"])
        return record

    @api.get("/api/widget-config")
    def widget_config(request: Request) -> dict:
        return branding(settings, dict(request.query_params))

    @api.get("/embed.js")
    def embed_js() -> PlainTextResponse:
        return PlainTextResponse(EMBED_JS, media_type="application/javascript",
                                 headers={"Cache-Control": "public, max-age=300"})

    @api.get("/examples/host.html")
    def demo_host() -> FileResponse:
        return FileResponse(EXAMPLES_DIR / "host.html", media_type="text/html")


def validate_ask(payload, settings: Settings) -> str | None:
    """Why an /api/ask body is unusable, or None."""
    if not isinstance(payload, dict):
        return "The body must be a JSON object with a \"question\" string."
    question = payload.get("question")
    if not isinstance(question, str):
        return "\"question\" is required and must be a string."
    if not question.strip():
        return "\"question\" is empty."
    if len(question) > settings.max_question_chars:
        return f"\"question\" is too long ({len(question)} characters; the limit is {settings.max_question_chars})."
    history = payload.get("history")
    if history is not None and (not isinstance(history, list) or not all(
            isinstance(m, dict) and isinstance(m.get("content", ""), str) and m.get("role") in ("user", "assistant")
            for m in history)):
        return "\"history\" must be a list of {\"role\": \"user\"|\"assistant\", \"content\": string} messages."
    return None


def create_app(settings: Settings | None = None, bot: Bot | None = None) -> FastAPI:
    """The whole ASGI app: REST routes, embed script, the widget (/widget) and the full chat (/)."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # Gradio would otherwise report usage to its makers
    if importlib.util.find_spec("matplotlib") is None:
        # Gradio tries `import matplotlib` around every event; when it is not installed that failed import
        # searches sys.path each time (a few ms per request under load). None makes it fail at once.
        sys.modules.setdefault("matplotlib", None)
    settings = settings or Settings.from_env()
    bot = bot or default_bot()
    guard = Guard(bot, settings)
    api = FastAPI(title=settings.center_name, docs_url=None, redoc_url=None, openapi_url=None,
                  max_body_size=settings.max_ui_body_bytes)
    install_middleware(api, settings)
    install_routes(api, guard, settings)
    theme = gr.themes.Default(primary_hue="cyan")
    gr.mount_gradio_app(api, build_chat(bot, settings, guard, compact=True), path="/widget", theme=theme,
                        css=WIDGET_CSS, head=WIDGET_HEAD, footer_links=[])
    gr.mount_gradio_app(api, build_chat(bot, settings, guard), path="/", theme=theme, css=CSS, footer_links=[])
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
    print(f"Serving on http://{settings.host}:{settings.port}  (widget demo: "
          f"http://{settings.host}:{settings.port}/examples/host.html)", flush=True)
    uvicorn.run(create_app(settings, bot), host=settings.host, port=settings.port, log_level="warning",
                timeout_graceful_shutdown=5)


EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
EMBED_JS = r"""/* Treatment-center chat widget. Usage:
   <script src="https://BOT_HOST/embed.js" data-position="bottom-right" data-accent="#1f6f8b"
           data-name="Example Recovery" data-greeting="Hi!" data-phone="+1 555 0100" async></script>
   Everything lives in a shadow root with all:initial: no CSS goes in or out of the host page. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__botWidgetLoaded) return;
  window.__botWidgetLoaded = true;
  var origin = new URL(script.src, location.href).origin;
  var keys = ["name", "greeting", "accent", "phone", "cta", "position"];
  var params = new URLSearchParams();
  keys.forEach(function (k) { if (script.dataset[k]) params.set(k, script.dataset[k]); });

  fetch(origin + "/api/widget-config?" + params.toString(), {credentials: "omit"})
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(mount)
    .catch(function () {
      console.warn("Chat widget: this site (" + location.origin + ") is not allowed to embed it. " +
                   "Ask the operator to add it to BOT_ALLOWED_ORIGINS.");
    });

  function mount(brand) {
    var host = document.createElement("div");
    host.setAttribute("data-bot-widget", "");
    var root = host.attachShadow({mode: "open"});
    var side = brand.position === "bottom-left" ? "left" : "right";
    var accent = /^#[0-9a-fA-F]{3,6}$/.test(brand.accent) ? brand.accent : "#1f6f8b";
    var style = document.createElement("style");
    style.textContent =
      ":host{all:initial}" +
      "*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',sans-serif}" +
      ".launcher{position:fixed;bottom:20px;" + side + ":20px;z-index:2147483646;width:60px;height:60px;" +
      "border-radius:50%;border:0;background:" + accent + ";color:#fff;cursor:pointer;font-size:26px;" +
      "box-shadow:0 4px 14px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center}" +
      ".launcher:focus-visible{outline:3px solid #111;outline-offset:3px}" +
      ".launcher img{width:34px;height:34px;border-radius:50%;object-fit:cover}" +
      ".panel{position:fixed;bottom:92px;" + side + ":20px;z-index:2147483647;width:380px;height:600px;" +
      "max-height:calc(100vh - 110px);background:#fff;border-radius:14px;overflow:hidden;" +
      "box-shadow:0 10px 40px rgba(0,0,0,.3);display:none;flex-direction:column}" +
      ".panel.open{display:flex}" +
      ".bar{display:flex;align-items:center;justify-content:space-between;padding:8px 12px;background:" + accent +
      ";color:#fff;font-size:15px;font-weight:600}" +
      ".close{background:transparent;border:0;color:#fff;font-size:22px;line-height:1;cursor:pointer;padding:2px 8px}" +
      ".close:focus-visible{outline:2px solid #fff}" +
      "iframe{border:0;width:100%;flex:1}" +
      "@media (max-width:480px){.panel{inset:0;width:100vw;height:100vh;max-height:none;border-radius:0}" +
      ".launcher{bottom:14px;" + side + ":14px}}";
    var launcher = document.createElement("button");
    launcher.className = "launcher";
    launcher.type = "button";
    launcher.setAttribute("aria-label", "Open chat with " + brand.name);
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "bot-panel");
    if (/^https:\/\//.test(brand.logo || "")) {
      var logo = document.createElement("img");
      logo.src = brand.logo;
      logo.alt = "";
      launcher.appendChild(logo);
    } else {
      launcher.innerHTML = '<svg width="28" height="28" viewBox="0 0 24 24" aria-hidden="true" fill="none" ' +
        'stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">' +
        '<path d="M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"/></svg>';
    }
    var panel = document.createElement("div");
    panel.className = "panel";
    panel.id = "bot-panel";
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", brand.name + " chat");
    var bar = document.createElement("div");
    bar.className = "bar";
    var title = document.createElement("span");
    title.textContent = brand.name;
    var close = document.createElement("button");
    close.className = "close";
    close.type = "button";
    close.setAttribute("aria-label", "Close chat");
    close.textContent = "\u00D7";
    bar.appendChild(title);
    bar.appendChild(close);
    panel.appendChild(bar);
    var frame = null;

    function open() {
      if (!frame) {
        frame = document.createElement("iframe");
        frame.title = brand.name + " chat";
        frame.src = origin + "/widget/?" + params.toString();
        frame.setAttribute("referrerpolicy", "no-referrer");
        panel.appendChild(frame);
      }
      panel.classList.add("open");
      launcher.setAttribute("aria-expanded", "true");
      setTimeout(function () { frame.focus(); }, 50);
    }
    function shut() {
      panel.classList.remove("open");
      launcher.setAttribute("aria-expanded", "false");
      launcher.focus();
    }
    launcher.addEventListener("click", function () { panel.classList.contains("open") ? shut() : open(); });
    close.addEventListener("click", shut);
    panel.addEventListener("keydown", function (e) { if (e.key === "Escape") shut(); });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && panel.classList.contains("open")) shut();
    });
    window.addEventListener("message", function (e) {
      if (e.origin === origin && e.data && e.data.type === "bot-widget-close") shut();
    });
    root.appendChild(style);
    root.appendChild(panel);
    root.appendChild(launcher);
    document.body.appendChild(host);
  }
})();
"""


if __name__ == "__main__":
    main()
