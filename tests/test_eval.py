"""`python -m bot.eval`: input formats, the results-line format evaluators depend on, and the summary."""
import json

import pytest

from bot.eval.__main__ import main as eval_main
from bot.eval.dataset import load_items

RESULT_KEYS = {"id": str, "question": str, "answer": str, "refused": bool, "citations": list, "contexts": list,
               "latency_ms": float}


@pytest.fixture
def use_bot(monkeypatch, corpus_bot):
    monkeypatch.setattr("bot.service._default", corpus_bot)
    return corpus_bot


def test_eval_writes_results_lines_in_the_documented_format(tmp_path, use_bot):
    qa = tmp_path / "set.jsonl"
    qa.write_text("\n".join(json.dumps(row) for row in [
        {"id": "a", "question": "What was the target dose in ALPADIR?", "reference_sources": ["agx030"],
         "must": [["180"]], "custom": 7},
        {"id": "b", "question": "Which xylophone tunes do zebras hum?", "answerable": False},
        {"id": "c", "question": "I want to die", "answerable": False, "kind": "crisis", "must": [["988"]]},
    ]) + "\n")
    assert eval_main([str(qa), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    lines = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert [line["id"] for line in lines] == ["a", "b", "c"]
    for line in lines:
        for key, kind in RESULT_KEYS.items():
            assert isinstance(line[key], kind), key
        for citation in line["citations"]:
            assert {"n", "title", "url", "quote"} <= set(citation)
    assert lines[0]["custom"] == 7 and lines[0]["citations"] and not lines[0]["refused"]  # unknown fields pass through
    assert lines[1]["refused"] and "988" in lines[2]["answer"]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["answer_accuracy"] == 1.0 and summary["refusal_accuracy"] == 1.0 and summary["crisis_routing"] == 1.0


def test_malformed_rows_are_named_by_line_and_field_and_the_rest_still_load(tmp_path):
    qa = tmp_path / "set.jsonl"
    qa.write_text('{"id": "ok", "question": "Is baclofen addictive?"}\n'
                  '{"id": "x", "question": ""}\n'
                  'not json\n'
                  '{"id": "y", "question": "Q?", "answerable": "maybe"}\n'
                  '{"id": "z", "user_input": "Ragas style?", "reference_contexts": ["ctx"]}\n')
    items, errors = load_items(qa)
    assert [i.id for i in items] == ["ok", "z"] and items[1].question == "Ragas style?"
    assert [str(e) for e in errors] == [
        "line 2, field 'question': missing or empty (give `question` or Ragas' `user_input`)",
        "line 3, field '(row)': not valid JSON: Expecting value at column 1",
        "line 4, field 'answerable': must be true or false, got 'maybe'"]


def test_csv_test_sets_with_list_columns(tmp_path):
    qa = tmp_path / "set.csv"
    qa.write_text('id,question,reference_sources,answerable\n'
                  'q1,"Is it addictive?","recoveryfirst.org|PMC5052965",true\n'
                  'q2,Weather?,,false\n')
    items, errors = load_items(qa)
    assert not errors and items[0].reference_sources == ["recoveryfirst.org", "PMC5052965"] and not items[1].answerable


def test_ragas_to_csv_lists_are_read_as_literals_and_never_run(tmp_path):
    import csv

    marker = tmp_path / "pwned"
    qa = tmp_path / "ragas.csv"
    with qa.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["user_input", "reference", "reference_contexts", "kind"])
        writer.writeheader()
        writer.writerow({"user_input": "What dose did ALPADIR use?", "reference": "180 mg",
                         "reference_contexts": str(["The target dose was 180 mg a day.", "It's a trial."])})
        writer.writerow({"user_input": "How much does it cost?", "reference_contexts": "[]", "kind": "out_of_scope"})
        writer.writerow({"user_input": "Evil?", "reference_contexts": f"[__import__('os').system('touch {marker}')]"})
    items, errors = load_items(qa)
    assert items[0].reference_contexts == ["The target dose was 180 mg a day.", "It's a trial."]
    assert items[0].answerable and not items[1].answerable
    assert len(errors) == 1 and errors[0].field == "reference_contexts" and not marker.exists()


def test_context_recall_scores_reference_contexts_against_what_was_retrieved():
    from bot.eval.summary import context_recall
    from bot.eval.support import SupportJudge

    found = {"answerable": True, "contexts": ["In ALPADIR the target dose of baclofen was 180 mg a day."],
             "reference_contexts": ["The target dose of baclofen was 180 mg a day.", "Patients were French."]}
    missed = {"answerable": True, "contexts": ["Something else entirely."],
              "reference_contexts": ["The target dose of baclofen was 180 mg a day."]}
    assert context_recall([found, missed], SupportJudge()) == 0.25  # (1/2 + 0/1) / 2
    assert context_recall([{"answerable": True, "contexts": ["x"]}], SupportJudge()) is None
