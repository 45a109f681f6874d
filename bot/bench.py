"""`python -m bot.bench`: speed and memory, measured in one run (never by timed tests).

Measures, on the shipped corpus unless told otherwise (first brought up to date by `python -m ingest`):
- cold start to first answer (a fresh `python` process: imports, model load, index load, one answer);
- warm answer latency p50/p95/p99 over a fixed question list, each question's vector cache cleared first
  (so every timing includes embedding the question), and the same for the bare retrieval step; the same
  for follow-ups answered with their conversation (`follow_up_answer_*`);
- ingest throughput (a full re-embed into a temporary index) and an unchanged re-ingest, both as the real
  `python -m ingest` command;
- peak RSS of this process and of a real serving process (`app.py`) after it has answered;
- the LangChain tutorial pipeline (1000/200-character chunks, same model, Chroma top-4) over the same corpus,
  timed the same way, and our answer p50 as a ratio of its bare retrieval p50;
- with `--passages N`: a synthetic index of N passages (recombined corpus sentences with jittered copies of
  their vectors, built once and kept under $BOT_DATA_DIR/bench) to show how latency grows with size.

Keys carry their unit (`answer_p95_ms`, `serving_rss_mb`, ...).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from bot.eval.metrics import percentile
from bot.index import records
from bot.settings import Settings

QUESTIONS = [
    "Is baclofen addictive?", "What is baclofen used for?", "How does baclofen work in the brain?",
    "What are the side effects of baclofen?", "Does baclofen help with alcohol cravings?",
    "What happened in the ALPADIR trial?", "How many patients were randomized in ALPADIR?",
    "What was the total abstinence rate in BACLAD?", "Did baclofen work in the Garbutt trial?",
    "What dose was used in the opioid maintenance trial?", "Did baclofen reduce cocaine craving?",
    "What withdrawal symptoms did the case report describe?", "Is it dangerous to stop baclofen suddenly?",
    "What did the Cochrane review find about relapse?", "How common is gabapentin misuse?",
    "Does baclofen help people with liver cirrhosis stay sober?", "What was the average maximum dose in the "
    "de Beaurepaire study?", "How long did the Bacloville trial last?", "Can baclofen treat migraine headaches?",
    "What's the weather in Miami tomorrow?", "Why is therapy needed alongside baclofen?",
    "Were liver enzymes affected in the 2000 pilot study?", "What is the usual starting dose of baclofen?",
    "Can you get addicted to baclofen?",
]
# Follow-ups ("how many took part?" after "tell me about ALPADIR") are read with the earlier question, which
# costs more embedding than a question standing alone (the joined text and the known-question match).
FOLLOW_UPS = [
    ("What happened in the ALPADIR trial?", "how many patients were in it?"),
    ("Tell me about the Garbutt trial", "what dose did they use?"),
    ("Is baclofen addictive?", "what withdrawal symptoms can it cause?"),
    ("What did the Cochrane review find?", "how many trials did it include?"),
    ("Did baclofen help with cocaine?", "and what about opioids?"),
    ("What is baclofen used for?", "how does it work?"),
    ("What was the BACLAD trial?", "y cuantos pacientes participaron?"),
    ("Does baclofen help people with cirrhosis?", "were there side effects on the liver?"),
]
REPO = Path(__file__).resolve().parent.parent


def timed_ms(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def latency_stats(prefix: str, values: list[float]) -> dict:
    p50 = round(statistics.median(values), 2)  # raises StatisticsError when there are no values
    p95, p99 = percentile(values, 95), percentile(values, 99)
    assert p95 is not None and p99 is not None
    return {f"{prefix}_p50_ms": p50, f"{prefix}_p95_ms": round(p95, 2), f"{prefix}_p99_ms": round(p99, 2)}


# --- our pipeline -----------------------------------------------------------------------------------
def measure_bot(bot, questions: list[str], repeat: int, prefix: str = "") -> dict:
    """Warm latency of full answers and of bare retrieval, every question embedded afresh each time."""
    for question in questions:  # warm-up: model, index, caches of passage data
        bot.answer(question)
    answers, retrievals, cached = [], [], []
    for _ in range(repeat):
        for question in questions:
            bot.forget_questions()
            answers.append(timed_ms(partial(bot.answer, question)))
            cached.append(timed_ms(partial(bot.answer, question)))  # a repeated question: its vectors cached
            bot.forget_questions()
            retrievals.append(timed_ms(partial(bot.retrieve, question, k=4)))
    result = {**latency_stats(f"{prefix}answer", answers), **latency_stats(f"{prefix}retrieval", retrievals)}
    result[f"{prefix}answer_repeated_question_p50_ms"] = round(statistics.median(cached), 2)
    return result


def measure_follow_ups(bot, conversations: list[tuple[str, str]], repeat: int) -> dict:
    """Warm latency of a follow-up answered with its conversation, every question embedded afresh."""
    histories = []
    for first, follow_up in conversations:  # warm-up, and the earlier answer each history carries
        earlier = bot.answer(first)
        histories.append(([{"role": "user", "content": first}, {"role": "assistant", "content": earlier.text}],
                          follow_up))
        bot.answer(follow_up, history=histories[-1][0])
    timings = []
    for _ in range(repeat):
        for history, follow_up in histories:
            bot.forget_questions()
            timings.append(timed_ms(partial(bot.answer, follow_up, history=history)))
    return latency_stats("follow_up_answer", timings)


def measure_generated(bot, questions: list[str], repeat: int) -> dict:
    """With the site's model (BOT_LLM_*): full answer latency including the request and the verification of
    every sentence, the time added over the quoted answer, and how often the generated answer was shown."""
    totals, added, shown, asked = [], [], 0, 0
    for _ in range(repeat):
        for question in questions:
            bot.forget_questions()
            quoted = bot.answer(question, generate=False)
            started = time.perf_counter()
            assert bot.writer is not None
            answer = bot.writer.write(question, quoted)
            added.append((time.perf_counter() - started) * 1000)
            bot.forget_questions()
            totals.append(timed_ms(partial(bot.answer, question)))
            asked += answer.generation is not None
            shown += answer.mode == "generated"
    return {**latency_stats("generated_answer", totals), **latency_stats("generation_added", added),
            "generated_shown_share": round(shown / max(1, asked), 3)}


def measure_cold_start(env: dict) -> float:
    code = ("import time; t = time.perf_counter(); from bot.service import Bot; b = Bot(); "
            "b.answer('Is baclofen addictive?'); print(time.perf_counter() - t)")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, cwd=REPO)
    return round(time.perf_counter() - started, 2)


def measure_ingest(corpus: Path, env: dict) -> dict:
    """A full ingest into a fresh temporary index, then an unchanged re-ingest, as the real command."""
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as data:
        run_env = {**env, "BOT_DATA_DIR": data}
        command = [sys.executable, "-m", "ingest", "--corpus", str(corpus), "--json"]
        started = time.perf_counter()
        first = subprocess.run(command, env=run_env, check=True, capture_output=True, text=True, cwd=REPO)
        full = time.perf_counter() - started
        started = time.perf_counter()
        subprocess.run(command, env=run_env, check=True, capture_output=True, text=True, cwd=REPO)
        unchanged = time.perf_counter() - started
    report = json.loads(first.stdout)
    embed_s = report["embed_seconds"]
    return {"ingest_full_s": round(full, 2), "ingest_passages": report["passages"],
            "ingest_texts_embedded": report["embedded_texts"], "ingest_embed_s": round(embed_s, 2),
            "ingest_texts_per_s": round(report["embedded_texts"] / embed_s, 1) if embed_s else None,
            "ingest_passages_per_s": round(report["passages"] / full, 1),
            "reingest_unchanged_s": round(unchanged, 2)}


def ingest_if_needed(corpus: Path, env: dict) -> None:
    """Bring the index under $BOT_DATA_DIR up to date with the corpus, as the real `python -m ingest` command
    (exit 3, some files skipped, still leaves a usable index). It runs in this process's directory, so relative
    paths in the settings mean the same as here."""
    command = [sys.executable, "-m", "ingest", "--corpus", str(corpus), "--quiet"]
    path = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    done = subprocess.run(command, env={**env, "PYTHONPATH": path}, capture_output=True, text=True)
    if done.returncode not in (0, 3):
        raise RuntimeError(f"`python -m ingest` failed (exit {done.returncode}): {done.stderr.strip()}")


def measure_embedding_throughput(bot) -> dict:
    """Passages embedded per second by the model alone, on every core (the hardware floor the design card
    quotes: about 50 passages/s on 2 cores)."""
    import torch

    passages = [p.text for p in bot.index().passages][:200]
    threads = torch.get_num_threads()
    torch.set_num_threads(os.cpu_count() or 1)
    try:
        bot.embedder.embed(passages[:8])
        started = time.perf_counter()
        bot.embedder.embed(passages)
        return {"embed_passages_per_s": round(len(passages) / (time.perf_counter() - started), 1)}
    finally:
        torch.set_num_threads(threads)


# --- the LangChain tutorial pipeline ------------------------------------------------------------------
def measure_tutorial(corpus: Path, questions: list[str], repeat: int) -> dict:
    """RecursiveCharacterTextSplitter(1000, 200) + HuggingFaceEmbeddings(same model) + Chroma, top-4."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from bot.index.documents import find_corpus_files, load_document
    from bot.index.embedding import resolve_model_path

    documents = [Document(page_content=d.text, metadata={"source": d.url})
                 for d in map(load_document, find_corpus_files(corpus))]
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(documents)
    embeddings = HuggingFaceEmbeddings(model_name=resolve_model_path(""), model_kwargs={"device": "cpu"})
    with tempfile.TemporaryDirectory(prefix="bench-tutorial-") as path:
        client = chromadb.PersistentClient(path=path, settings=ChromaSettings(anonymized_telemetry=False))
        store = Chroma.from_documents(chunks, embeddings, client=client, collection_name="tutorial")
        retriever = store.as_retriever(search_kwargs={"k": 4})
        for question in questions:
            retriever.invoke(question)
        values = [timed_ms(partial(retriever.invoke, q)) for _ in range(repeat) for q in questions]
    return {**latency_stats("tutorial_retrieval", values), "tutorial_chunks": len(chunks)}


# --- synthetic scale -----------------------------------------------------------------------------------
def synthetic_bot(base_bot, passages: int, seed: int = 7):
    """A Bot over a synthetic index of `passages` passages, built once under $BOT_DATA_DIR/bench."""
    from bot.index.store import IndexStore
    from bot.service import Bot

    settings = replace(base_bot.settings, collection_prefix=f"bench{passages}",
                       data_dir=base_bot.settings.data_dir / "bench" / f"synthetic-{passages}")
    store = IndexStore(settings)
    build_s = 0.0
    if store.live_tag() is None:
        started = time.perf_counter()
        _write_synthetic(store, base_bot, passages, random.Random(seed), np.random.default_rng(seed))
        build_s = time.perf_counter() - started
    bot = Bot(settings, embedder=base_bot.embedder)
    started = time.perf_counter()
    index = bot.index()
    load_s = time.perf_counter() - started
    return bot, {"synthetic_passages": len(index.passages), "synthetic_sentences": index.version.info["sentences"],
                 "synthetic_build_s": round(build_s, 1), "synthetic_index_load_s": round(load_s, 1)}


def _write_synthetic(store, base_bot, total: int, rng: random.Random, noise: np.random.Generator) -> None:
    """Passages of 3-5 corpus sentences each, in documents of 10 passages; every vector is a jittered copy of
    the real one, so no text is embedded and the result is a realistic, searchable index."""
    base = base_bot.index()
    pool = [(p, i, vec) for p in base.passages for i, vec in enumerate(base.sentence_vectors([p])[p.id])]
    version = store.create_version()
    files: dict[str, dict[str, Any]] = {}
    passage_rows: list[tuple[str, np.ndarray, str, dict[str, Any]]] = []
    sentence_rows: list[tuple[str, np.ndarray, str, dict[str, Any]]] = []
    for n in range(total):
        doc = n // 10
        doc_id = f"synthetic-{doc:06d}"
        passage_rows.append(_synthetic_passage(doc_id, n % 10, rng.sample(pool, rng.randint(3, 5)), noise,
                                               sentence_rows))
        files.setdefault(f"synthetic/{doc_id}.md", {"id": doc_id, "sha256": "synthetic", "passages": 0,
                                                     "sentences": 0})["passages"] += 1
        if len(passage_rows) >= 5000:
            _flush(store, version, passage_rows, sentence_rows)
    _flush(store, version, passage_rows, sentence_rows)
    version.info = {"files": files, "key": {"synthetic": True}, "passages": total,
                    "sentences": store.count(version.sentences)}
    store.publish(version)


def _synthetic_passage(doc_id, index, picks, noise: np.random.Generator, sentence_rows):
    texts, spans, vectors, cursor = [], [], [], 0
    for passage, i, vector in picks:
        text = passage.sentence_text(i)
        spans.append((cursor, cursor + len(text)))
        texts.append(text)
        cursor += len(text) + 1
        noisy = vector + noise.normal(0, 0.03, len(vector))
        vectors.append((noisy / np.linalg.norm(noisy)).astype(np.float32))
    pid = records.passage_id(doc_id, index)
    for j, (span, text, vector) in enumerate(zip(spans, texts, vectors, strict=True)):
        sentence_rows.append((records.sentence_id(pid, j), vector, text,
                              records.sentence_metadata(pid, doc_id, span[0], span[1])))
    mean = np.mean(vectors, axis=0)
    doc_fields = {"title": f"Synthetic study {doc_id[-6:]} of baclofen", "kind": "study",
                  "url": f"https://example.org/synthetic/{doc_id}"}
    meta = records.passage_metadata(doc_id, heading="Findings", index=index, start=0, end=cursor - 1,
                                    sentences=spans, doc_fields=doc_fields)
    return pid, (mean / np.linalg.norm(mean)).astype(np.float32), " ".join(texts), meta


def _flush(store, version, passage_rows, sentence_rows) -> None:
    for rows, collection in ((passage_rows, version.passages), (sentence_rows, version.sentences)):
        if rows:
            store.add(collection, [r[0] for r in rows], np.vstack([r[1] for r in rows]), [r[2] for r in rows],
                      [r[3] for r in rows])
    passage_rows.clear()
    sentence_rows.clear()


# --- the command -------------------------------------------------------------------------------------
def run(args) -> dict:
    from bot.service import Bot

    settings = Settings.from_env()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
           "HF_HUB_DISABLE_PROGRESS_BARS": "1", "TRANSFORMERS_VERBOSITY": "error",
           "BOT_DATA_DIR": str(settings.data_dir)}
    corpus = Path(args.corpus or settings.corpus_dir)
    questions = QUESTIONS if not args.questions else [json.loads(line)["question"] for line in
                                                      open(args.questions, encoding="utf-8") if line.strip()]
    results: dict = {"questions": len(questions), "repeat": args.repeat}
    _step("ingesting the corpus if needed")
    ingest_if_needed(corpus, env)
    if not args.skip_cold:
        _step("cold start")
        results["cold_start_first_answer_s"] = measure_cold_start(env)
    bot = Bot(replace(settings, llm_base_url=""))  # the default, extractive answer
    _step("warm latency")
    results.update(measure_bot(bot, questions, args.repeat))
    results.update(measure_follow_ups(bot, FOLLOW_UPS, args.repeat))
    results.update(measure_embedding_throughput(bot))
    if not args.skip_ingest:
        _step("ingest throughput")
        results.update(measure_ingest(corpus, env))
    if not args.skip_tutorial:
        _step("LangChain tutorial pipeline")
        results.update(measure_tutorial(corpus, questions, args.repeat))
        results["answer_to_tutorial_retrieval_p50_ratio"] = round(
            results["answer_p50_ms"] / results["tutorial_retrieval_p50_ms"], 3)
    if args.passages:
        _step(f"synthetic index of {args.passages} passages")
        big, info = synthetic_bot(bot, args.passages)
        results.update(info)
        results.update(measure_bot(big, questions, args.repeat, prefix="synthetic_"))
    if settings.llm_base_url:
        _step(f"generated answers ({settings.llm_base_url})")
        results.update(measure_generated(Bot(settings, embedder=bot.embedder), questions, args.repeat))
    from bot.bench_serving import measure_load, measure_serving_rss, peak_rss_mb

    results["bench_peak_rss_mb"] = round(peak_rss_mb(), 1)
    if not args.skip_serving:
        _step("serving process memory")
        results.update(measure_serving_rss(env))
    if args.load_users:
        _step(f"load: {args.load_users} simultaneous users")
        results.update(measure_load(env, args.load_users, args.load_requests, args.load_url))
    return results


def _step(message: str) -> None:
    print(f"[bench] {message} ...", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--passages", type=int, default=0, help="also measure a synthetic index of N passages")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds over the question list")
    parser.add_argument("--questions", type=Path, help="JSONL with a `question` per line (default: built-in list)")
    parser.add_argument("--corpus", type=Path, help="corpus directory (default: $BOT_CORPUS_DIR or ./corpus)")
    parser.add_argument("--load-users", type=int, default=0, help="also load-test with N simultaneous users")
    parser.add_argument("--load-requests", type=int, default=10, help="questions per simulated user")
    parser.add_argument("--load-url", help="a running app to load-test (loopback only; default: start app.py)")
    for part in ("cold", "ingest", "tutorial", "serving"):
        parser.add_argument(f"--skip-{part}", action="store_true", help=f"skip the {part} measurement")
    args = parser.parse_args(argv)
    results = run(args)
    if args.json:
        print(json.dumps(results))
    else:
        for key, value in results.items():
            print(f"{key:42s} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
