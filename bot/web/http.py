"""HTTP around the chat: `POST /api/ask` (documented at `/api/openapi.json` and `/api/docs`), liveness and
readiness probes, the widget's script and configuration, security headers and CORS (deny by default)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from bot.schema import Route
from bot.service import Bot
from bot.settings import Settings
from bot.web.render import branding
from bot.web.visitors import Visitors

STATIC = Path(__file__).resolve().parent / "static"
EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
UNAVAILABLE_ROUTES = (Route.UNAVAILABLE, Route.TIMED_OUT)


# --- the documented contract of /api/ask ----------------------------------------------------------
class HistoryMessage(BaseModel):
    role: str = Field(pattern="^(user|assistant)$")
    content: str


class AskRequest(BaseModel):
    question: str = Field(min_length=1, description="The visitor's question (up to BOT_MAX_QUESTION_CHARS).",
                          examples=["Is baclofen addictive?"])
    history: list[HistoryMessage] | None = Field(None, description="Earlier turns, oldest first, for follow-ups.")


class CitationOut(BaseModel):
    n: int
    title: str
    url: str
    quote: str = Field(description="The cited stretch of the passage, verbatim.")
    passage_id: str
    start: int = Field(description="Character offset of the quote in its document.")
    end: int
    passage: str
    emphasis: list[list[int]] = Field(description="Document offsets of the sentences that carry the answer.")


class RetrievedOut(BaseModel):
    passage_id: str
    url: str
    title: str
    score: float


class VerifiedSentenceOut(BaseModel):
    text: str
    cites: list[int] = Field(description="The citations ([n]) this sentence was verified against.")
    quotes: list[str] = Field(description="The cited source sentences that verified it.")


class AskResponse(BaseModel):
    id: str
    question: str
    answer: str = Field(description="Notices first, then quoted sentences each followed by [n], or a refusal.")
    refused: bool
    route: Route
    citations: list[CitationOut]
    contexts: list[str]
    retrieved: list[RetrievedOut]
    notices: list[str] = Field(description="Safety notices (crisis, emergency, ...) shown before anything else.")
    safety_routes: list[str]
    disclaimer: str
    confidence: float = Field(description="Calibrated probability that the quoted spans answer the question.")
    language: str
    mode: str = Field(description="`extractive` (quoted) or `generated` (the site's model, each sentence verified).")
    verified_sentences: list[VerifiedSentenceOut] = Field(
        description="In generated mode, each sentence with the quotes that verified it.")
    latency_ms: float


class ErrorOut(BaseModel):
    error: str


def error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


# --- headers --------------------------------------------------------------------------------------
def frame_ancestors(settings: Settings) -> str:
    return " ".join(["'self'", *settings.allowed_origins])


def security_headers(path: str, settings: Settings) -> dict[str, str]:
    """Headers for every response. Gradio's pages need inline scripts and styles; they load nothing from
    other origins, and the CSP says so (a patient's visit must not leak to third parties)."""
    framers = frame_ancestors(settings) if path.startswith(("/widget", "/examples")) else "'self'"
    policy = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
              "img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' blob: data:; "
              "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'self'; form-action 'self'; "
              f"frame-ancestors {framers}")
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
            response: Response = error(413, f"The request body is too large (limit {settings.max_body_bytes} bytes).")
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


# --- routes ---------------------------------------------------------------------------------------
def rest_api(visitors: Visitors, settings: Settings) -> FastAPI:
    """The REST API, mounted at /api, with its own OpenAPI schema (/api/openapi.json) and docs (/api/docs)."""
    api = FastAPI(title=f"{settings.center_name} API", version="1", docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json",
                  description="Grounded, cited answers about baclofen and addiction treatment. Every answer "
                              "sentence is quoted from a cited source; safety notices come first.")
    failures: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (400, 413, 422, 429, 503)}

    @api.post("/ask", response_model=AskResponse, responses=failures, summary="Answer one question",
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": AskRequest.model_json_schema()}}}})
    async def ask(request: Request):
        body = await request.body()
        if len(body) > settings.max_body_bytes:
            return error(413, f"The request body is too large (limit {settings.max_body_bytes} bytes).")
        try:
            payload = json.loads(body or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return error(400, "The request body must be JSON, e.g. {\"question\": \"Is baclofen addictive?\"}.")
        if not isinstance(payload, dict):
            return error(422, "The body must be a JSON object with a \"question\" string.")
        problem = visitors.problem(payload.get("question"), payload.get("history"))
        if problem:
            return error(422, problem)
        visit = await visitors.ask(payload["question"], payload.get("history"), visitors.client_of(request))
        if visit.retry_after:
            return error(429, visit.answer.text, {"Retry-After": str(visit.retry_after)})
        if visit.answer.route in UNAVAILABLE_ROUTES:
            return error(503, visit.answer.text)
        return visit.record

    @api.get("/widget-config", summary="Branding for the widget (safe data- overrides applied)")
    def widget_config(request: Request) -> dict:
        return branding(settings, dict(request.query_params))

    api.mount("/docs/assets", StaticFiles(directory=swagger_assets()), name="docs-assets")

    @api.get("/docs", include_in_schema=False)
    def docs():
        return get_swagger_ui_html(openapi_url="/api/openapi.json", title=api.title,
                                   swagger_js_url="/api/docs/assets/swagger-ui-bundle.js",
                                   swagger_css_url="/api/docs/assets/swagger-ui.css",
                                   swagger_favicon_url="/api/docs/assets/favicon-32x32.png")

    return api


def swagger_assets() -> str:
    from swagger_ui_bundle import swagger_ui_path  # the Swagger UI files, shipped in a wheel: no CDN

    return str(swagger_ui_path)


def token_matches(request: Request, token: str) -> bool:
    """`Authorization: Bearer <token>`, or HTTP Basic with the token as password (so a browser can open it).
    Both sides are hashed first, so the comparison takes the same time whatever was sent."""
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() == "basic":
        try:
            value = base64.b64decode(value, validate=True).decode("utf-8").partition(":")[2]
        except (ValueError, UnicodeDecodeError):
            value = ""
    elif scheme.lower() != "bearer":
        value = ""
    digest = hashlib.sha256(value.encode()).digest()
    return hmac.compare_digest(digest, hashlib.sha256(token.encode()).digest()) and bool(value)


def install_routes(app: FastAPI, bot: Bot, visitors: Visitors, settings: Settings) -> None:
    @app.get("/healthz")
    def healthz() -> dict:
        """Liveness: the process answers HTTP. Whether it can answer questions is /readyz."""
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz():
        """Readiness: the index is loaded and its store reachable; 503 until then, so a load balancer
        sends no traffic to a replica that cannot answer."""
        state = bot.readiness()
        return JSONResponse(state, status_code=200 if state["ready"] else 503)

    if visitors.metrics is not None:
        metrics = visitors.metrics

        @app.get("/metrics", include_in_schema=False)
        def prometheus(request: Request) -> Response:
            if settings.metrics_token and not token_matches(request, settings.metrics_token):
                return error(401, "The metrics need a bearer token (BOT_METRICS_TOKEN).",
                             {"WWW-Authenticate": "Bearer"})
            return Response(metrics.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")

    if settings.admin_token:
        @app.get("/admin", include_in_schema=False)
        def admin(request: Request) -> Response:
            if not token_matches(request, settings.admin_token):
                return error(401, "This page needs the admin token (BOT_ADMIN_TOKEN).",
                             {"WWW-Authenticate": 'Basic realm="admin", charset="UTF-8"'})
            from bot.insights import gather, render_html

            page = render_html(gather(settings, bot.embed_many), f"{settings.center_name}: what visitors asked")
            return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    @app.get("/embed.js")
    def embed_js() -> FileResponse:
        return FileResponse(STATIC / "embed.js", media_type="application/javascript",
                            headers={"Cache-Control": "public, max-age=300"})

    @app.get("/widget", include_in_schema=False)
    def widget_without_slash(request: Request) -> RedirectResponse:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/widget/{query}", status_code=307)

    @app.get("/examples/host.html")
    def demo_host() -> FileResponse:
        return FileResponse(EXAMPLES_DIR / "host.html", media_type="text/html")

    app.mount("/api", rest_api(visitors, settings))
