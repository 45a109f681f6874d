"""Shared fixtures: isolated state, a fast fake embedder, and (slow) the real model, index and Chroma server.

Every test gets its own BOT_DATA_DIR under tmp_path (autouse), so nothing touches ./data. The real embedding
model is loaded once per session; the shipped corpus is ingested once per session with it.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import (
    CORPUS,
    ChromaServer,
    FakeEmbedder,
    ServedApp,
    write_doc,
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


@pytest.fixture(autouse=True)
def isolated_state(tmp_path, monkeypatch):
    for key in list(os.environ):
        if key.startswith("BOT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "data"))
    import bot.service

    monkeypatch.setattr(bot.service, "_default", None)
    yield


@pytest.fixture
def settings(tmp_path):
    from bot.settings import Settings

    return Settings.from_env(data_dir=tmp_path / "data", index_refresh_seconds=0.0, multilingual=False)


@pytest.fixture
def fake_embedder():
    return FakeEmbedder()


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    directory = tmp_path / "corpus"
    write_doc(directory, "alpha.md", "# Alpha\n\n## Dosing\n\nThe alpha trial used 60 mg a day. Patients stayed in "
              "treatment longer.\n\n## Results\n\nCraving fell in the alpha trial.\n")
    write_doc(directory, "beta.md", "# Beta\n\nBeta is about liver enzymes. GGT and ALT decreased.\n\nSide effects "
              "include:\n\n- Headache\n- Nausea\n")
    write_doc(directory, "gamma.md", "# Gamma\n\nGamma studied cocaine craving in volunteers for 21 days.\n")
    return directory


@pytest.fixture(scope="session")
def fake_corpus_settings(tmp_path_factory):
    """The shipped corpus ingested once per session with the fake embedder."""
    from bot.settings import Settings
    from ingest.pipeline import ingest_corpus

    settings = Settings(data_dir=tmp_path_factory.mktemp("fake-corpus") / "data", index_refresh_seconds=0.0,
                        multilingual=False)
    ingest_corpus(settings, CORPUS, embedder=FakeEmbedder(), progress=False)
    return settings


@pytest.fixture(scope="session")
def loaded_gate():
    """The safety gate's real models, loaded once per session: a cold load can take longer than an answer
    timeout, which tests of timeouts and metrics must not see."""
    from bot.safety.gate import default_gate

    default_gate().check("warm up the gate's models please")


@pytest.fixture
def corpus_bot(fake_corpus_settings, loaded_gate):
    """A fresh Bot over the shipped corpus with the fake embedder (fast; lexical-ish dense scores)."""
    from bot.service import Bot

    return Bot(fake_corpus_settings, embedder=FakeEmbedder())


# --- slow: real parts ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def real_embedder(tmp_path_factory):
    from bot.index.embedding import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(onnx_dir=tmp_path_factory.mktemp("onnx"))
    embedder.warm_up()
    return embedder


@pytest.fixture(scope="session")
def shipped_bot(real_embedder, tmp_path_factory):
    """A Bot over the shipped corpus, ingested once per session with the real model."""
    from bot.service import Bot
    from bot.settings import Settings
    from ingest.pipeline import ingest_corpus

    settings = Settings(data_dir=tmp_path_factory.mktemp("shipped") / "data", index_refresh_seconds=3600)
    ingest_corpus(settings, CORPUS, embedder=real_embedder, progress=False)
    bot = Bot(settings, embedder=real_embedder)
    bot.index()
    return bot


@pytest.fixture
def chroma_server(tmp_path):
    server = ChromaServer(tmp_path / "chroma-server").start()
    yield server
    server.stop()


@pytest.fixture
def served_app(corpus_bot):
    """The whole app over the shipped corpus with the fake embedder, served on loopback."""
    from app import create_app

    served = ServedApp(create_app(corpus_bot.settings, corpus_bot))
    yield served
    served.stop()
