"""`python -m bot.bench` end to end on a tiny corpus: every measurement runs and reports (no timing checks)."""
import json

import pytest

from bot.bench import main as bench_main

pytestmark = pytest.mark.slow


def test_bench_runs_end_to_end_on_a_tiny_corpus(small_corpus, capsys):
    assert bench_main(["--corpus", str(small_corpus), "--passages", "300", "--repeat", "1", "--load-users", "2",
                       "--load-requests", "2", "--json"]) == 0
    results = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for key in ("cold_start_first_answer_s", "answer_p50_ms", "answer_p95_ms", "answer_p99_ms", "retrieval_p50_ms",
                "follow_up_answer_p50_ms", "follow_up_answer_p95_ms",
                "ingest_passages_per_s", "reingest_unchanged_s", "tutorial_retrieval_p50_ms",
                "answer_to_tutorial_retrieval_p50_ratio", "synthetic_answer_p95_ms", "bench_peak_rss_mb",
                "serving_rss_mb", "load_rest_stress_latency_p95_ms", "load_gradio_chat_latency_p95_ms"):
        assert isinstance(results[key], (int, float)) and results[key] > 0, key
    assert results["synthetic_passages"] == 300 and results["ingest_passages"] >= 3
    assert results["load_rest_stress_errors"] == 0 and results["load_gradio_chat_errors"] == 0
