"""The serving part of `python -m bot.bench`: a real `app.py` process, its memory after answering, and
simultaneous users over REST and over Gradio's queue (closed loops, chat-paced and zero-pause)."""
from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from bot.bench import QUESTIONS, REPO, latency_stats
from bot.eval.metrics import percentile


class ServingApp:
    """app.py in a child process on a free loopback port (started and stopped by `with`)."""

    def __init__(self, env: dict, **settings):
        self.env = {**env, **{f"BOT_{k.upper()}": str(v) for k, v in settings.items()}}
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServingApp:
        self.process = subprocess.Popen([sys.executable, "app.py"], env={**self.env, "BOT_PORT": str(self.port),
                                        "BOT_RATE_LIMIT_PER_MIN": "0"}, cwd=REPO,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for(f"{self.url}/healthz", 120)
        return self

    def __exit__(self, *exc) -> None:
        assert self.process is not None  # started by __enter__
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def ask_over_http(url: str, question: str) -> dict:
    import urllib.request

    request = urllib.request.Request(f"{url}/api/ask", json.dumps({"question": question}).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def ask_over_gradio(url: str, question: str) -> dict:
    """Gradio's queued API over plain HTTP (POST /gradio_api/call/ask, then read the event stream): what a
    browser session costs the server, without gradio_client's own CPU use (it needs ~3x the server's)."""
    import urllib.request

    request = urllib.request.Request(f"{url}/gradio_api/call/ask", json.dumps({"data": [question, None]}).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        event_id = json.loads(response.read())["event_id"]
    with urllib.request.urlopen(f"{url}/gradio_api/call/ask/{event_id}", timeout=60) as stream:
        event = ""
        for raw in stream:
            line = raw.decode().strip()
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                if event == "error":
                    raise RuntimeError(line)
                return json.loads(line[5:])[0]
    raise RuntimeError("the event stream ended without a result")


def measure_serving_rss(env: dict, requests: int = 20) -> dict:
    """Start app.py, ask it questions over HTTP, and read its peak resident memory."""
    with ServingApp(env) as app:
        for question in (QUESTIONS * 2)[:requests]:
            ask_over_http(app.url, question)
        assert app.process is not None  # started by __enter__
        return {"serving_rss_mb": round(peak_rss_mb(app.process.pid), 1)}


def measure_load(env: dict, users: int, per_user: int, url: str | None = None) -> dict:
    """`users` simulated visitors at once over the REST API and over Gradio's queued API (loopback only):
    - a chat session: all ask their first question at the same instant (the burst), then each asks again
      after a 1-3 s pause to read, `per_user` questions in all;
    - a stress run: the same with no pause at all (`users` requests in flight at every moment).
    The app started here has its question cache off, so every request pays for embedding its question."""
    if url and not re.match(r"^https?://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?/?$", url):
        raise SystemExit("bench --load-url must be a loopback address (127.0.0.1, localhost)")
    if url:
        return _load_both(url.rstrip("/"), users, per_user)
    with ServingApp(env, query_cache_size=0) as app:  # every request embeds its question: no cache flattery
        return _load_both(app.url, users, per_user)


def _load_both(url: str, users: int, per_user: int) -> dict:
    results = {"load_users": users, "load_requests_per_user": per_user}
    for name, asker in (("rest", lambda: (lambda q: ask_over_http(url, q))),
                        ("gradio", lambda: (lambda q: ask_over_gradio(url, q)))):
        for mode, think in (("chat", (1.0, 3.0)), ("stress", None)):
            stats = _closed_loop(users, per_user, asker, think)
            results.update({f"load_{name}_{mode}_{k}": v for k, v in stats.items()})
    return results


def _closed_loop(users: int, per_user: int, make_asker, think: tuple[float, float] | None = None) -> dict:

    askers = [make_asker() for _ in range(users)]
    barrier, lock = threading.Barrier(users), threading.Lock()
    latencies, first_burst, errors = [], [], []
    pauses = random.Random(users * per_user)

    def visitor(number: int) -> None:
        barrier.wait()
        for i in range(per_user):
            if think and i:
                time.sleep(pauses.uniform(*think))
            question = QUESTIONS[(number * 7 + i) % len(QUESTIONS)]
            started = time.perf_counter()
            try:
                askers[number](question)
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    if i == 0:
                        first_burst.append(elapsed)
            except Exception as exc:  # counted, not fatal: the report says how many failed
                with lock:
                    errors.append(type(exc).__name__)

    threads = [threading.Thread(target=visitor, args=(n,)) for n in range(users)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    stats = latency_stats("latency", latencies) if latencies else {}
    first_burst_p95 = percentile(first_burst, 95)  # None when there was no burst
    if first_burst_p95 is not None:
        stats["first_burst_p95_ms"] = round(first_burst_p95, 2)
    return {**stats, "requests": len(latencies), "errors": len(errors),
            "throughput_rps": round(len(latencies) / wall, 1)}


def peak_rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, timeout: float) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")
