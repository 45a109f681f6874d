"""Dynamic batching of model calls (bot/index/batching.py): every caller gets its own result, a lone caller
runs at once, callers that arrive while the model is busy share a call, and errors reach every caller."""
import threading
import time

import numpy as np
import pytest

from bot.index.batching import MicroBatcher


class SlowModel:
    """Upper-cases texts; each call takes `seconds` and records the batch it was given."""

    def __init__(self, seconds: float = 0.05):
        self.seconds = seconds
        self.calls: list[list[str]] = []
        self.lock = threading.Lock()

    def __call__(self, texts: list[str]) -> list[str]:
        with self.lock:
            self.calls.append(list(texts))
        time.sleep(self.seconds)
        return [t.upper() for t in texts]


def _ask_at_once(batcher: MicroBatcher, texts: list[str]) -> dict[str, str]:
    answers: dict[str, str] = {}
    barrier = threading.Barrier(len(texts))

    def ask(text: str) -> None:
        barrier.wait()
        answers[text] = batcher(text)

    threads = [threading.Thread(target=ask, args=(t,)) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return answers


def test_a_lone_caller_runs_at_once_in_a_batch_of_one():
    model = SlowModel(0.0)
    batcher = MicroBatcher(model, parallel=2)
    assert batcher("is baclofen addictive") == "IS BACLOFEN ADDICTIVE"
    assert model.calls == [["is baclofen addictive"]]


@pytest.mark.parametrize("parallel, callers", [(1, 12), (2, 20), (3, 7)])
def test_callers_who_arrive_together_share_calls_and_each_gets_its_own_result(parallel, callers):
    model = SlowModel()
    batcher = MicroBatcher(model, parallel=parallel)
    texts = [f"question {n}" for n in range(callers)]
    answers = _ask_at_once(batcher, texts)
    assert answers == {t: t.upper() for t in texts}
    assert sorted(t for call in model.calls for t in call) == sorted(texts)  # each text embedded once
    assert len(model.calls) < callers and batcher.batches == len(model.calls)


def test_no_batch_is_larger_than_the_limit():
    model = SlowModel()
    batcher = MicroBatcher(model, parallel=1, max_batch=3)
    texts = [f"q{n}" for n in range(10)]
    assert _ask_at_once(batcher, texts) == {t: t.upper() for t in texts}
    assert max(len(call) for call in model.calls) <= 3


def test_an_error_reaches_every_caller_of_its_batch_and_the_batcher_keeps_working():
    failing = threading.Event()

    def model(texts):
        time.sleep(0.05)
        if failing.is_set():
            raise ValueError("engine failed")
        return [t[::-1] for t in texts]

    batcher = MicroBatcher(model, parallel=1)
    failing.set()
    errors = []

    def ask(text):
        try:
            batcher(text)
        except ValueError as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=ask, args=(f"t{n}",)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == ["engine failed"] * 5
    failing.clear()
    assert batcher("abc") == "cba"


def test_a_model_that_returns_the_wrong_number_of_results_is_an_error():
    batcher = MicroBatcher(lambda texts: texts[:-1])
    with pytest.raises(RuntimeError, match="1 texts"):
        batcher("one")


def test_the_multilingual_model_gives_the_same_vectors_batched_as_alone():
    from bot.index.embedding import multilingual_embedder, set_multilingual_cache_size

    model = multilingual_embedder()
    texts = ["is baclofen addictive", "tome 30 pastillas de baclofeno", "kms", "what dose was used in BACLAD?"]
    try:
        set_multilingual_cache_size(0)
        alone = np.stack([model.embed_queries([t])[0] for t in texts])
        batched = _ask_at_once(model._batched_query, texts)
        assert np.allclose(np.stack([batched[t] for t in texts]), alone, atol=1e-6)
    finally:
        set_multilingual_cache_size(2048)


def test_a_prefetched_question_vector_is_taken_once_whatever_the_cache_size():
    from bot.index.embedding import multilingual_embedder, set_multilingual_cache_size

    model = multilingual_embedder()
    try:
        set_multilingual_cache_size(0)
        model.prefetch("¿el baclofeno causa adicción?")
        taken = model.embed_query("¿el baclofeno causa adicción?")
        again = model.embed_query("¿el baclofeno causa adicción?")  # nothing kept: embedded afresh
        assert taken is not again and np.allclose(taken, again, atol=1e-6) and not taken.flags.writeable
    finally:
        set_multilingual_cache_size(2048)


def test_prefetched_vectors_that_are_never_taken_stay_bounded():
    from bot.index import embedding

    model = embedding.multilingual_embedder()
    batched = model._batched_query
    model._batched_query = lambda text: np.zeros(model.dim, dtype=np.float32)  # no model time in this test
    try:
        for n in range(embedding.PREFETCH_LIMIT + 40):
            model.prefetch(f"question number {n}")
        assert len(model._prefetched) == embedding.PREFETCH_LIMIT
        assert "question number 0" not in model._prefetched  # the oldest went first
    finally:
        model._batched_query = batched
        model._prefetched.clear()


def test_questions_asked_together_through_the_server_share_multilingual_model_calls(corpus_bot):
    import anyio

    from bot.index.embedding import multilingual_embedder, set_multilingual_cache_size
    from bot.web.visitors import Visitors

    visitors = Visitors(corpus_bot, corpus_bot.settings)
    batcher = multilingual_embedder()._batched_query
    questions = [f"what did trial number {n} of baclofen find about craving" for n in range(12)]

    async def burst():
        async with anyio.create_task_group() as group:
            for n, question in enumerate(questions):
                group.start_soon(visitors.ask, question, None, f"client-{n}")

    try:
        set_multilingual_cache_size(0)
        before = batcher.batches
        anyio.run(burst)
        assert batcher.batches - before < len(questions)  # one call per question without batching
    finally:
        set_multilingual_cache_size(2048)
