"""All configuration in one place, read from `BOT_*` environment variables.

Every setting has a type, a default that works offline on a fresh checkout, what values are allowed (a range,
a set of choices or a pattern) and a one-line description, all declared below. `Settings.from_env()` is the
only place the environment is read; a bad value stops start-up with one line naming the variable and what is
allowed. `python -m bot.settings` prints the README's settings table from these declarations (a test checks
that the README agrees). Everything else receives a `Settings` object.
"""
from __future__ import annotations

import os
import re
import sys
from dataclasses import Field, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from bot.errors import ConfigError

PREFIX = "BOT_"
HEX_COLOUR = r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?"
ORIGIN = r"https?://[^/\s,]+"
OPTIONAL_URL = r"(https?://\S+)?"


def setting(default: Any, help: str, *, low: float | None = None, high: float | None = None,
            choices: tuple[str, ...] = (), pattern: str = "") -> Any:
    """A dataclass field with what `from_env` checks and what the README table shows."""
    return field(default=default, metadata={"help": help, "low": low, "high": high, "choices": choices,
                                            "pattern": pattern})


@dataclass(frozen=True)
class Settings:
    # --- where things live -------------------------------------------------------------------
    data_dir: Path = setting(Path("data"), "where the embedded Chroma index and the opt-in logs live")
    corpus_dir: Path = setting(Path("corpus"), "what `python -m ingest` reads")
    chroma_host: str = setting("", "a `chroma run` server to use instead of the embedded index (empty: embedded)")
    chroma_port: int = setting(8000, "that server's port", low=1, high=65535)
    collection_prefix: str = setting("bot", "prefix of the Chroma collection names",
                                     pattern=r"[a-z0-9][a-z0-9_-]{0,40}")
    # --- embedding -----------------------------------------------------------------------------
    embed_model: str = setting("", "another sentence-transformers model name or local path (empty: bundled MiniLM)")
    embed_batch_size: int = setting(32, "texts per batch when ingesting", low=1, high=1024)
    multilingual: bool = setting(True, "also embed sentences with multilingual-e5-small, for questions in Spanish")
    model_cache_dir: Path = setting(Path("~/.cache/recovery-bot").expanduser(),
                                    "where the query model's one-time ONNX export and the known questions' vectors "
                                    "are kept")
    # --- splitting -----------------------------------------------------------------------------
    passage_max_words: int = setting(110, "longest passage, in words, when splitting at ingest", low=20, high=1000)
    # --- retrieval and answers -----------------------------------------------------------------
    retrieve_candidates: int = setting(20, "candidates per retriever (dense, BM25) before fusion", low=1, high=500)
    answer_passages: int = setting(6, "fused passages whose sentences may be quoted", low=1, high=50)
    rrf_k: int = setting(60, "reciprocal rank fusion constant", low=1, high=1000)
    index_refresh_seconds: float = setting(5.0, "how often a running app looks for a newly published index",
                                           low=0, high=3600)
    memory_vector_limit: int = setting(50_000, "up to this many sentences, vectors are also held in memory",
                                       low=0, high=10_000_000)
    answer_model_path: str = setting("", "a refitted answer model (empty: bot/data/answer_model.json)")
    known_questions_path: str = setting("", "questions known to be answered by given sentences (empty: "
                                        "bot/data/known_questions.jsonl; 'off' for none)")
    # Cosine of multilingual-e5 question vectors: a writer's nearest known question from another writer shares
    # an answering sentence 86% of the time from 0.9, and 99% of the questions have one that close.
    known_passage_min: float = setting(0.9, "a known question this close brings its answer's passage into the "
                                       "candidates", low=0.0, high=1.01)
    known_passage_questions: int = setting(3, "the closest known questions whose passages may join", low=0,
                                           high=100)
    # --- generated answers (optional; off unless a model endpoint is set) -----------------------
    llm_base_url: str = setting("", "an OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp, OpenAI, Azure) that "
                                "rewrites answers, each sentence verified (empty: quotes only)",
                                pattern=OPTIONAL_URL)
    llm_model: str = setting("", "the model name that endpoint serves")
    llm_api_key: str = setting("", "its API key, if it needs one")
    llm_timeout_s: float = setting(20.0, "longest wait for the model before the quoted answer is shown instead",
                                   low=0.1, high=600)
    llm_min_kept: float = setting(0.5, "share of the model's sentences that must pass verification, else quotes",
                                  low=0.0, high=1.0)
    # --- app -----------------------------------------------------------------------------------
    host: str = setting("127.0.0.1", "address `make run` serves on")
    port: int = setting(7860, "port `make run` serves on", low=1, high=65535)
    max_question_chars: int = setting(2000, "longest question accepted", low=10, high=100_000)
    max_body_bytes: int = setting(64_000, "largest request body on /api/* (413 beyond)", low=1024, high=10_000_000)
    max_ui_body_bytes: int = setting(2_000_000, "largest request body for the chat, which posts its conversation",
                                     low=1024, high=100_000_000)
    trust_proxy_headers: bool = setting(False, "count clients by X-Forwarded-For (only behind your own proxy)")
    rate_limit_per_min: int = setting(30, "questions per client per minute (0: off)", low=0, high=100_000)
    answer_timeout_seconds: float = setting(10.0, "longest an answer may take (503 / a message beyond)",
                                            low=0.1, high=600)
    answer_workers: int = setting(2, "answers computed at once per process (REST and chat share them)",
                                  low=1, high=64)
    query_cache_size: int = setting(2048, "question vectors kept for repeated questions (0: off)",
                                    low=0, high=1_000_000)
    query_threads: int = setting(1, "torch threads for embedding a question (0: library default)", low=0, high=64)
    queue_max_size: int = setting(200, "chat requests waiting in Gradio's queue before new ones are turned away",
                                  low=1, high=100_000)
    allowed_origins: tuple[str, ...] = setting((), "sites that may embed the widget and call /api/* (comma-separated)",
                                               pattern=ORIGIN)
    metrics: bool = setting(False, "serve Prometheus metrics at /metrics")
    metrics_token: str = setting("", "when set, /metrics needs `Authorization: Bearer <token>`")
    feedback: bool = setting(False, "thumbs up/down on answers, kept with the redacted question")
    feedback_db: str = setting("", "SQLAlchemy URL of the feedback store (empty: SQLite in BOT_DATA_DIR)")
    feedback_days: int = setting(180, "days a vote is kept", low=1, high=3650)
    admin_token: str = setting("", "turns on /admin (the insights page) for this token; empty: no /admin")
    log_conversations: bool = setting(False, "keep a redacted log of questions and answers")
    conversation_log_days: int = setting(30, "days that log is kept", low=1, high=3650)
    # --- branding (widget and page) --------------------------------------------------------------
    center_name: str = setting("Recovery support", "shown in the page heading and the widget bar")
    greeting: str = setting("Hi! Ask me about baclofen and addiction treatment. I answer from cited sources.",
                            "the chat's first message")
    accent_color: str = setting("#1f6f8b", "accent colour", pattern=HEX_COLOUR)
    logo_url: str = setting("", "an https:// image on the widget button", pattern=r"(https://\S+)?")
    admissions_phone: str = setting("", "a tap-to-call number above the chat", pattern=r"(\+?[0-9][0-9 ().-]{4,22})?")
    call_to_action: str = setting("Talk to our admissions team", "the words before that number")
    widget_position: str = setting("bottom-right", "corner of the widget button",
                                   choices=("bottom-right", "bottom-left"))

    def __post_init__(self) -> None:
        # accept plain strings from code that builds Settings by hand
        for name in ("data_dir", "corpus_dir", "model_cache_dir"):
            if not isinstance(getattr(self, name), Path):
                object.__setattr__(self, name, Path(getattr(self, name)))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        """Build settings from `BOT_<NAME>` variables; a bad value raises ConfigError naming the variable and
        what it allows."""
        env = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = env.get(variable(f))
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f, raw)
            _check(f, values[f.name], raw)
        settings = cls(**values)
        return replace(settings, **overrides) if overrides else settings

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def uses_chroma_server(self) -> bool:
        return bool(self.chroma_host)


def variable(f: Field) -> str:
    return PREFIX + f.name.upper()


def kind_of(f: Field) -> str:
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    return "list" if kind.startswith("tuple") else kind


def allowed(f: Field) -> str:
    """What a setting accepts, in words (for errors and the README)."""
    meta, kind = f.metadata, kind_of(f)
    if meta["choices"]:
        return " or ".join(f"`{c}`" for c in meta["choices"])
    if kind == "bool":
        return "true/false"
    if meta["low"] is not None:
        number = int if kind == "int" else float
        return f"{kind} {number(meta['low'])}-{number(meta['high'])}"
    if meta["pattern"] == HEX_COLOUR:
        return "`#rgb` or `#rrggbb`"
    if meta["pattern"] == ORIGIN:
        return "origins like `https://example.org`"
    if meta["pattern"] == OPTIONAL_URL:
        return "empty, or a URL like `http://localhost:11434/v1`"
    if meta["pattern"]:
        return f"matching `{meta['pattern']}`"
    return "a path" if kind == "Path" else "text"


def _parse(f: Field, raw: str):
    kind = kind_of(f)
    try:
        if kind == "bool":
            lowered = raw.strip().lower()
            if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ValueError
            return lowered in {"1", "true", "yes", "on"}
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "Path":
            return Path(raw).expanduser()
        if kind == "list":
            return tuple(item.strip() for item in raw.replace(";", ",").split(",") if item.strip())
        return raw
    except ValueError:
        raise ConfigError(f"{variable(f)}={raw!r} is not valid: expected {allowed(f)}") from None


def _check(f: Field, value, raw: str) -> None:
    meta = f.metadata
    items = value if isinstance(value, tuple) else (value,)
    bad = (meta["low"] is not None and not meta["low"] <= value <= meta["high"]) \
        or (meta["choices"] and value not in meta["choices"]) \
        or (meta["pattern"] and not all(re.fullmatch(meta["pattern"], str(item)) for item in items))
    if bad:
        raise ConfigError(f"{variable(f)}={raw!r} is not allowed: expected {allowed(f)}")


def settings_table() -> str:
    """The README's settings table, generated from the declarations above."""
    rows = ["| variable | default | allowed | meaning |", "| --- | --- | --- | --- |"]
    for f in fields(Settings):
        default = f.default
        if isinstance(default, Path):
            default = str(default).replace(str(Path.home()), "~")
        shown = ",".join(default) if isinstance(default, tuple) else default
        shown = f"`{str(shown).lower() if isinstance(shown, bool) else shown}`" if shown not in ("", ()) else "(empty)"
        rows.append(f"| `{variable(f)}` | {shown} | {allowed(f)} | {f.metadata['help']} |")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.stdout.write(settings_table() + "\n")
