"""Helpers shared by the tests (fixtures stay in conftest.py): paths, a fast deterministic fake embedder,
corpus files, the grounded-answer invariant, and real servers started on free loopback ports."""
from __future__ import annotations

import hashlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
DEV_QA = REPO / "tests" / "qa" / "dev_qa.jsonl"  # a copy of the shared development set
TUNING_QA = REPO / "tests" / "qa" / "tuning_qa.jsonl"


class FakeEmbedder:
    """Deterministic bag-of-stems vectors: texts sharing words are close. Counts what it embeds."""

    name = "fake"
    dim = 384

    def __init__(self, fail_after: int | None = None):
        self.calls = 0
        self.texts = 0
        self.fail_after = fail_after  # raise on the call after this many calls (simulated crash)

    def embed(self, texts, progress: bool = False) -> np.ndarray:
        from bot.text import terms

        if self.fail_after is not None and self.calls >= self.fail_after:
            raise RuntimeError("simulated crash while embedding")
        self.calls += 1
        self.texts += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in terms(text) or ["empty"]:
                digest = hashlib.blake2b(term.encode(), digest_size=8).digest()
                out[row, int.from_bytes(digest[:4], "little") % self.dim] += 1.0
                out[row, int.from_bytes(digest[4:], "little") % self.dim] += 0.5
            out[row] /= np.linalg.norm(out[row]) or 1.0
        return out


def write_doc(directory: Path, name: str, body: str, **meta) -> Path:
    """A markdown corpus file with front matter (defaults fill the required fields)."""
    fields = {"id": Path(name).stem, "title": f"Title of {Path(name).stem}", "url": f"https://example.org/{Path(name).stem}",
              "kind": "article", **meta}
    front = "\n".join(f"{k}: {v}" for k, v in fields.items() if v is not None)
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{front}\n---\n{body}", encoding="utf-8")
    return path


def assert_grounded(answer, index) -> None:
    """The invariant: every statement of an answer (the text before a run of [n] markers; notices and the line
    saying the sources are in English left out)
    is a verbatim slice of the passage each of its markers cites; every marker resolves to a citation, every
    sentence and emphasized sentence lies inside its citation's quoted spans, and every link is a corpus URL."""
    import re

    from bot.eval.summary import sourced_statements

    by_n = {c.n: c for c in answer.citations}
    corpus_urls = {s.url for s in index.sources.values()}
    assert set(by_n) == set(range(1, len(by_n) + 1))
    for n in map(int, re.findall(r"\[(\d+)\]", answer.text)):
        assert n in by_n, f"marker [{n}] does not resolve"
    statements = [s for s in sourced_statements({"answer": answer.text, "notices": answer.notices}) if s[1]]
    for statement, numbers in statements:
        for n in numbers:
            passage = index.passages[index.position[by_n[n].passage_id]]
            assert statement in passage.text, f"statement not verbatim in passage [{n}]: {statement!r}"
    for sentence in answer.sentences:
        citation = by_n[sentence.n]
        passage = index.passages[index.position[citation.passage_id]]
        assert sentence.passage_id == citation.passage_id
        assert passage.text[sentence.start - passage.start:sentence.end - passage.start] == sentence.text
        assert sentence.text in answer.text
        assert (sentence.start, sentence.end) in citation.spans
    for citation in answer.citations:
        passage = index.passages[index.position[citation.passage_id]]
        assert citation.url in corpus_urls and citation.url == passage.url and citation.title == passage.title
        assert passage.text[citation.start - passage.start:citation.end - passage.start] == citation.quote
        assert set(citation.emphasis) <= set(citation.spans)
    if answer.refused:
        assert not answer.citations and not answer.sentences
    else:
        assert statements, "an answer that is not a refusal quotes something"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not come up within {timeout} s")


class ChromaServer:
    """A real `chroma run` process on a free loopback port; stop() and start() it to simulate outages."""

    def __init__(self, path: Path):
        self.path, self.port, self.process = path, free_port(), None

    def start(self) -> ChromaServer:
        chroma = Path(sys.executable).parent / "chroma"
        self.process = subprocess.Popen([str(chroma if chroma.exists() else shutil.which("chroma")), "run",
                                         "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_http(f"http://127.0.0.1:{self.port}/api/v2/heartbeat")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


class ServedApp:
    """create_app() served by uvicorn in a background thread on a free loopback port."""

    def __init__(self, app):
        import threading

        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        wait_for_http(self.url + "/healthz")

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)


def chat_updates(respond, *args) -> list:
    """Every update the chat's streaming handler yields for one message (the last is the final one)."""
    import anyio

    async def collect():
        return [update async for update in respond(*args)]

    return anyio.run(collect)


def chat_turn(respond, *args):
    """The chat handler's final update for one message: (box, history, turns, votes)."""
    return chat_updates(respond, *args)[-1]


def served_from(answer, text: str) -> bool:
    """The answer was composed from passages that hold `text`, whatever the fitted model then decided. Fault
    tests ask which index serves; whether to abstain is the answer model's call, and a fake embedder's scores
    are not the ones it was fitted on."""
    return any(text in passage.text for passage in answer.passages)
