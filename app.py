"""HTTP and UI: the Gradio chat at `/`, the compact widget at `/widget/`, `/embed.js`, `POST /api/ask`
(documented at `/api/docs`), and the `/healthz` and `/readyz` probes.

`create_app()` builds the whole ASGI app without serving it (tests use it directly); `main()` serves it.
The pieces live in `bot/web/`: rendering, the Gradio UI, HTTP, and the one place that answers a visitor.
"""
from __future__ import annotations

import importlib.util
import logging
import os
import sys

import gradio as gr
from fastapi import FastAPI

from bot.errors import BotError, ConfigError
from bot.service import Bot, default_bot
from bot.settings import Settings
from bot.web.http import install_middleware, install_routes
from bot.web.ui import CHAT_CSS, WIDGET_CSS, WIDGET_HEAD, build_chat
from bot.web.visitors import Visitors

log = logging.getLogger("app")


def create_app(settings: Settings | None = None, bot: Bot | None = None) -> FastAPI:
    """The whole ASGI app: REST routes, probes, embed script, the widget (/widget/) and the full chat (/)."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # Gradio would otherwise report usage to its makers
    if importlib.util.find_spec("matplotlib") is None:
        # Gradio tries `import matplotlib` around every event; when it is not installed that failed import
        # searches sys.path each time (a few ms per request under load). None makes it fail at once.
        sys.modules.setdefault("matplotlib", None)  # type: ignore[arg-type]  # typeshed: modules only; None is valid
    settings = settings or Settings.from_env()
    bot = bot or default_bot()
    visitors = Visitors(bot, settings)
    app = FastAPI(title=settings.center_name, docs_url=None, redoc_url=None, openapi_url=None,
                  max_body_size=settings.max_ui_body_bytes)
    install_middleware(app, settings)
    install_routes(app, bot, visitors, settings)
    theme = gr.themes.Default(primary_hue="cyan")
    gr.mount_gradio_app(app, build_chat(visitors, settings, compact=True), path="/widget", theme=theme,
                        css=WIDGET_CSS, head=WIDGET_HEAD, footer_links=[])
    gr.mount_gradio_app(app, build_chat(visitors, settings), path="/", theme=theme, css=CHAT_CSS, footer_links=[])
    return app


def main() -> None:
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        sys.exit(f"app.py: {exc}")  # one line naming the variable, no traceback
    bot = default_bot()
    try:
        bot.warm_up()
    except BotError as exc:
        log.error("%s", exc)
    print(f"Serving on http://{settings.host}:{settings.port}  (widget demo: "
          f"http://{settings.host}:{settings.port}/examples/host.html, API docs: /api/docs)", flush=True)
    uvicorn.run(create_app(settings, bot), host=settings.host, port=settings.port, log_level="warning",
                timeout_graceful_shutdown=5)


if __name__ == "__main__":
    main()
