"""Faults with real processes: kill -9 during ingest, and a Chroma server that goes away and comes back."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace

import pytest
from helpers import REPO, ChromaServer, FakeEmbedder, served_from, write_doc

from bot.index.store import IndexStore
from bot.service import Bot
from ingest.pipeline import ingest_corpus

pytestmark = pytest.mark.slow

SLOW_INGEST = textwrap.dedent("""
    import sys, time
    sys.path[:0] = [{repo!r}, {tests!r}]
    from helpers import FakeEmbedder
    from bot.settings import Settings
    from ingest.pipeline import ingest_corpus

    class Slow(FakeEmbedder):
        def embed(self, texts, progress=False):
            print("embedding", flush=True)
            time.sleep(0.5)
            return super().embed(texts)

    ingest_corpus(Settings(data_dir={data!r}), {corpus!r}, rebuild=True, embedder=Slow(), progress=False)
    print("finished", flush=True)
""")


def test_kill_9_mid_ingest_leaves_the_previous_index_serving(settings, small_corpus):
    first = ingest_corpus(settings, small_corpus, embedder=FakeEmbedder(), progress=False)
    for n in range(30):  # enough text that embedding takes several slow batches
        write_doc(small_corpus, f"extra-{n}.md",
                  "# Extra\\n\\n" + " ".join(f"Sentence {i} about topic {n}." for i in range(40)))
    code = SLOW_INGEST.format(repo=str(REPO), tests=str(REPO / "tests"), data=str(settings.data_dir),
                              corpus=str(small_corpus))
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "embedding"
    time.sleep(0.8)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)
    assert process.returncode == -signal.SIGKILL
    store = IndexStore(settings)
    assert store.live_tag() == first.published
    answer = Bot(settings, embedder=FakeEmbedder()).answer("How many days did gamma study cocaine craving?")
    assert served_from(answer, "21 days")
    again = ingest_corpus(settings, small_corpus, embedder=FakeEmbedder(), progress=False)
    assert again.published and store.live_tag() == again.published
    names = {c.name for c in store.client.list_collections()}
    assert sum(n.startswith("bot-passages-") for n in names) == 1  # the killed ingest's leftovers are gone


@pytest.mark.parametrize("in_memory", [False, True], ids=["chroma-backed", "self-contained"])
def test_chroma_server_stopped_and_restarted(settings, small_corpus, tmp_path, in_memory):
    server = ChromaServer(tmp_path / "chroma-server").start()
    try:
        remote = replace(settings, chroma_host="127.0.0.1", chroma_port=server.port, index_refresh_seconds=0.0,
                         memory_vector_limit=50_000 if in_memory else 0)
        ingest_corpus(remote, small_corpus, embedder=FakeEmbedder(), progress=False)
        bot = Bot(remote, embedder=FakeEmbedder())
        question = "How many days did gamma study cocaine craving?"
        assert served_from(bot.answer(question), "21 days")
        server.stop()
        from bot.web.visitors import Visitors

        safe_answer = Visitors(bot, remote).safe_answer
        down = safe_answer(question)
        if in_memory:  # every vector is in memory: keep answering from the last published version
            assert served_from(down, "21 days")
        else:
            assert down.route == "unavailable" and "try again" in down.text
        server.start()  # same data directory, same port
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and safe_answer(question).route == "unavailable":
            time.sleep(0.5)
        assert served_from(safe_answer(question), "21 days")  # recovered without a restart
    finally:
        server.stop()
