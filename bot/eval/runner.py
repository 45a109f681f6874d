"""Run a test set through `bot.answer` and produce one results line per question (the results-line format shared
with /api/ask)."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from bot.eval.dataset import EvalItem
from bot.schema import Answer


def result_record(item: EvalItem, answer: Answer, latency_ms: float) -> dict:
    """`{"id", "question", "answer", "refused", "citations", "contexts", "latency_ms", ...}`, plus the item's
    reference fields and any unknown fields it carried, so each line can be read on its own."""
    record: dict[str, Any] = {"id": item.id, "question": item.question}
    record.update(answer.to_record())
    record["latency_ms"] = round(latency_ms, 2)
    record.update(reference=item.reference, reference_sources=item.reference_sources, answerable=item.answerable,
                  kind=item.kind, follow_up=bool(item.history))
    if item.reference_contexts:
        record["reference_contexts"] = item.reference_contexts
    for key, value in item.extra.items():
        record.setdefault(key, value)
    return record


def run_items(items: list[EvalItem], answer_fn: Callable[..., Answer], progress: bool = True) -> Iterable[dict]:
    """Answer each item in order (timing each call), yielding results lines."""
    from tqdm import tqdm

    for item in tqdm(items, desc="Answering", unit="question", disable=not progress, dynamic_ncols=True):
        started = time.perf_counter()
        answer = answer_fn(item.question, history=item.history or None)
        yield result_record(item, answer, (time.perf_counter() - started) * 1000)
