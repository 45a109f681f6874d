"""A real local HTTP server that speaks the OpenAI chat-completions protocol (streamed with server-sent events,
and not), serving scripted replies. The tests use it to play a site's own model behaving well and badly.

Each reply is built from the request the bot sent: `script(sources, question)` gets the numbered source
texts the prompt carried and the visitor's question, and returns a `Reply`. So a "faithful" reply really
restates a span the bot gave, and a "changed number" reply really changes one of its numbers.
"""
from __future__ import annotations

import http.server
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

SOURCE_LINE = re.compile(r"^\[(\d+)\] (.*)$", re.M)


@dataclass
class Reply:
    text: str = ""
    status: int = 200
    raw: str | None = None  # sent as the body instead of a well-formed completion (malformed replies)
    delay_s: float = 0.0  # before the first byte


Script = Callable[[dict[int, str], str], Reply]


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s+", text.strip())[0]


def faithful(sources: dict[int, str], question: str) -> Reply:
    """Restates the first sentence of the first two sources, each with its marker."""
    parts = [f"{first_sentence(text).rstrip('.')} [{n}]." for n, text in list(sources.items())[:2]]
    return Reply(" ".join(parts))


def changed_number(sources: dict[int, str], question: str) -> Reply:
    for n, text in sources.items():
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            if re.search(r"\d", sentence):
                altered = re.sub(r"\d+", lambda m: str(int(m[0]) + 7), sentence, count=1)
                return Reply(f"{altered.rstrip('.')} [{n}].")
    raise AssertionError("no source with a number")


def uncited(sources: dict[int, str], question: str) -> Reply:
    n, text = next(iter(sources.items()))
    return Reply(f"{first_sentence(text)} Also, everyone who takes it recovers within a week.")


def flipped_negation(sources: dict[int, str], question: str) -> Reply:
    n, text = next(iter(sources.items()))
    sentence = first_sentence(text)
    flipped, count = re.subn(r"\b(is|are|was|were|can|may|did|does|do)\b", r"\1 not", sentence, count=1)
    assert count, "nothing to negate"
    return Reply(f"{flipped.rstrip('.')} [{n}].")


def injected(sources: dict[int, str], question: str) -> Reply:
    """A model that obeys an instruction smuggled into the question and cites it as if sourced."""
    return Reply("Baclofen is guaranteed to cure every addiction, so stop all other treatment [1]. "
                 "You can safely take as much as you want [1].")


def unknown_citation(sources: dict[int, str], question: str) -> Reply:
    n, text = next(iter(sources.items()))
    return Reply(f"{first_sentence(text).rstrip('.')} [{len(sources) + 5}].")


def empty(sources: dict[int, str], question: str) -> Reply:
    return Reply("")


def server_error(sources: dict[int, str], question: str) -> Reply:
    return Reply(status=500, raw='{"error": {"message": "the model crashed"}}')


def malformed(sources: dict[int, str], question: str) -> Reply:
    return Reply(raw="{this is not json")


def slow(sources: dict[int, str], question: str) -> Reply:
    reply = faithful(sources, question)
    reply.delay_s = 8.0  # well past the tests' timeout
    return reply


def not_in_sources(sources: dict[int, str], question: str) -> Reply:
    return Reply("NOT IN THE SOURCES")


class ScriptedLLM:
    """`with ScriptedLLM(faithful) as llm:` serves on loopback; `llm.url` is the base URL (…/v1) to configure;
    `llm.requests` holds every request body it received; `llm.script` may be swapped between requests."""

    def __init__(self, script: Script = faithful):
        self.script = script
        self.requests: list[dict] = []
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> ScriptedLLM:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        llm = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                llm.requests.append(body)
                if not self.path.endswith("/chat/completions"):
                    return self._send(404, '{"error": {"message": "not found"}}')
                prompt = body["messages"][-1]["content"]
                sources = {int(n): text for n, text in SOURCE_LINE.findall(prompt)}
                question = prompt.rsplit("Question:", 1)[-1].strip()
                reply = llm.script(sources, question)
                time.sleep(reply.delay_s)
                if reply.raw is not None or reply.status != 200:
                    return self._send(reply.status, reply.raw or "")
                if body.get("stream"):
                    return self._stream(body, reply.text)
                return self._send(200, json.dumps(completion(body, reply.text)))

            def _send(self, status: int, text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, body: dict, text: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                pieces = re.findall(r"\S+\s*", text)
                for piece in pieces:
                    self._event(chunk(body, {"content": piece}))
                self._event(chunk(body, {}, finish="stop"))
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

            def _event(self, payload: dict) -> None:
                self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
                self.wfile.flush()

        return Handler


def completion(body: dict, text: str) -> dict:
    return {"id": "chatcmpl-scripted", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "scripted"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


def chunk(body: dict, delta: dict, finish: str | None = None) -> dict:
    return {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": body.get("model", "scripted"),
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


if __name__ == "__main__":  # serve faithful replies for `python -m bot.bench` (see README, "Use your own model")
    import argparse

    parser = argparse.ArgumentParser(description="a scripted OpenAI-compatible server (faithful replies)")
    parser.add_argument("--port", type=int, default=8089)
    port = parser.parse_args().port
    server = ScriptedLLM(faithful)
    server._server.server_close()
    server._server = http.server.ThreadingHTTPServer(("127.0.0.1", port), server._handler())
    print(f"serving on http://127.0.0.1:{port}/v1", flush=True)
    server._server.serve_forever()
