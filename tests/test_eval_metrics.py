"""Each eval metric on tiny cases computed by hand."""
import json

import pytest

from bot.eval.compare import compare_runs, format_comparison
from bot.eval.dataset import EvalItem, select_items
from bot.eval.metrics import (
    citation_scores,
    first_relevant_rank,
    hit_at_k,
    percentile,
    reciprocal_rank,
    split_statements,
    token_f1,
)
from bot.eval.ragas_export import ragas_sample
from bot.eval.report import render_html, render_markdown
from bot.eval.summary import summarize
from bot.eval.support import SupportJudge


def approx(value):
    return pytest.approx(value, abs=1e-4)  # summary values are rounded to 4 places


def test_percentile_is_nearest_rank():
    values = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert percentile(values, 50) == 50 and percentile(values, 95) == 100 and percentile(values, 10) == 10
    assert percentile([], 50) is None


def test_token_f1_by_hand():
    # answer tokens: baclofen reduced craving (3); reference: craving was reduced (3); common: reduced, craving
    assert token_f1("Baclofen reduced craving. [1]", "Craving was reduced.") == pytest.approx(2 / 3)
    assert token_f1("The 320 patients", "320 patients") == 1.0  # articles and punctuation dropped
    assert token_f1("nothing alike", "totally different") == 0.0


def test_recall_at_k_and_reciprocal_rank_by_hand():
    ranked = ["https://a.org/x", "https://doi.org/10.1/b", "https://c.org"]
    assert first_relevant_rank(ranked, ["10.1/b"]) == 2
    assert not hit_at_k(ranked, ["10.1/b"], 1) and hit_at_k(ranked, ["10.1/b"], 3)
    assert reciprocal_rank(ranked, ["10.1/b"]) == 0.5 and reciprocal_rank(ranked, ["missing"]) == 0.0
    assert reciprocal_rank(ranked, ["c.org", "a.org"]) == 1.0  # any alternative counts


def test_statements_are_split_at_citation_markers_and_notices_left_out():
    answer = "Call 988 now.\n\nFirst claim. [1] Second claim. [1][2] Trailing words"
    assert split_statements(answer, ["Call 988 now."]) == [
        ("First claim.", [1]), ("Second claim.", [1, 2]), ("Trailing words", [])]


def test_the_line_saying_the_sources_are_in_english_is_framing_not_a_claim():
    from bot.eval.summary import answer_words, sourced_statements
    from bot.safety.notices import NOTICES, SOURCES_IN_ENGLISH

    record = {"answer": f"{NOTICES['treatment']['es']}\n\n{SOURCES_IN_ENGLISH['es']}\n\nBaclofen is a muscle "
                        "relaxant. [1] It acts on GABA-B receptors. [2]", "notices": [NOTICES["treatment"]["es"]]}
    assert sourced_statements(record) == [("Baclofen is a muscle relaxant.", [1]),
                                          ("It acts on GABA-B receptors.", [2])]
    assert answer_words(record) == 10


def test_alce_citation_recall_and_precision_by_hand():
    passages = {1: "alpha beta", 2: "gamma delta", 3: "unrelated"}

    def supports(statement, texts):  # supported when every word of the statement is in the cited texts
        return set(statement.split()) <= set(" ".join(texts).split())

    statements = [("alpha beta", [1]),          # supported; citation 1 precise
                  ("alpha gamma", [1, 2]),      # supported only jointly: both precise
                  ("alpha beta", [1, 3]),       # supported; 3 is irrelevant (alone no, removing it changes nothing)
                  ("zeta", [3]),                # unsupported; 3 imprecise
                  ("no citation", [])]          # unsupported
    scores = citation_scores(statements, passages, supports)
    assert scores == {"statements": 5, "supported": 3, "citations": 6, "precise": 4}


def test_support_judge_lexical_and_embedding_paths():
    judge = SupportJudge()
    assert judge("Craving fell in the ALPADIR trial.", ["In the ALPADIR trial craving fell more on baclofen."])
    assert not judge("Baclofen cures migraine.", ["Baclofen is a muscle relaxant."])

    def fake_embed(texts):
        import numpy as np
        return np.array([[1.0, 0.0] if "relaxant" in t or "loosens" in t else [0.0, 1.0] for t in texts])

    embedded = SupportJudge(embed=fake_embed)
    assert embedded("It loosens muscles.", ["Baclofen is a muscle relaxant. Other text."])


def record(rid, **fields):
    base = {"id": rid, "question": f"q {rid}", "answer": "", "refused": False, "citations": [], "contexts": [],
            "latency_ms": 10.0, "answerable": True, "kind": "", "reference": "", "reference_sources": []}
    base.update(fields)
    return base


def test_summary_metrics_by_hand():
    cite = {"n": 1, "title": "T", "url": "https://doi.org/10.1/a", "quote": "GGT fell.", "passage": "GGT fell."}
    records = [
        record("a", answer="GGT fell. [1]", citations=[cite], must=[["ggt"]], reference_sources=["10.1/a"],
               retrieved=[{"url": "https://doi.org/10.1/a"}], reference="GGT fell", latency_ms=10.0),
        record("b", answer="Wrong thing. [1]", citations=[dict(cite, passage="Other text.")], must=[["alt"]],
               reference_sources=["10.1/a"], retrieved=[{"url": "https://x.org"}, {"url": "https://doi.org/10.1/a"}],
               latency_ms=30.0),
        record("c", refused=True, answer="I couldn't find", must=[["x"]], reference_sources=["10.1/a"], retrieved=[]),
        record("d", answerable=False, refused=True),
        record("e", answerable=False, refused=False, answer="Some answer. [1]"),
        record("f", answerable=False, kind="crisis", answer="Call or text 988.", must=[["988"]]),
    ]
    s = summarize(records)
    assert s["answerable"] == 3 and s["out_of_scope"] == 2 and s["crisis"] == 1
    assert s["answer_accuracy"] == approx(1 / 3) and s["citation_hit"] == approx(2 / 3)
    assert s["false_refusal_rate"] == approx(1 / 3) and s["refusal_accuracy"] == 0.5
    assert s["crisis_routing"] == 1.0
    assert s["recall@1"] == approx(1 / 3) and s["recall@3"] == approx(2 / 3)
    assert s["mrr"] == approx((1 + 0.5 + 0) / 3)
    assert s["citation_recall"] == 0.5 and s["citation_precision"] == 0.5  # a supported, b not
    assert s["answer_token_f1"] == approx(1.0)  # only a has a reference
    reasons = {f["id"]: f["reasons"] for f in s["failures"]}
    assert "key fact missing from the answer" in reasons["b"] and "refused an answerable question" in reasons["c"]
    assert reasons["e"] == ["answered an out-of-scope question"] and "a" not in reasons
    assert s["per_source_retrieval"]["10.1/a"] == {"questions": 3, "hit_rate": approx(2 / 3)}


def test_answers_are_broken_down_by_language_and_by_turn():
    """Where answers are lost: Spanish questions and follow-ups get their own grounded accuracy, false
    refusals and out-of-scope refusals, in summary.json and in both reports."""
    cite = {"n": 1, "title": "T", "url": "https://doi.org/10.1/a", "quote": "GGT fell.", "passage": "GGT fell."}
    right = {"answer": "GGT fell. [1]", "citations": [cite], "must": [["ggt"]], "reference_sources": ["10.1/a"]}
    records = [
        record("en-first", lang="en", **right),
        record("en-follow", lang="en", follow_up=True, refused=True, answer="I couldn't find",
               must=[["ggt"]], reference_sources=["10.1/a"]),
        record("es-first", lang="es", **right),
        record("es-follow", lang="es", follow_up=True, **right),
        record("es-oos", lang="es", follow_up=True, answerable=False, refused=True),
        record("crisis", lang="en", answerable=False, kind="crisis", answer="Call or text 988.", must=[["988"]]),
    ]
    s = summarize(records)["by_segment"]
    assert set(s) == {"lang=en", "lang=es", "turn=first", "turn=follow_up"}
    assert s["lang=en"] == {"answerable": 2, "out_of_scope": 0, "grounded_accuracy": 0.5,
                            "false_refusal_rate": 0.5, "refusal_accuracy": None}
    assert s["lang=es"]["grounded_accuracy"] == 1.0 and s["lang=es"]["refusal_accuracy"] == 1.0
    assert s["turn=follow_up"]["answerable"] == 2 and s["turn=follow_up"]["grounded_accuracy"] == 0.5
    assert s["turn=first"] == {"answerable": 2, "out_of_scope": 0, "grounded_accuracy": 1.0,
                               "false_refusal_rate": 0.0, "refusal_accuracy": None}
    markdown = render_markdown(summarize(records), "Run")
    assert "| metric | lang=en (2 + 0) | lang=es (2 + 1) | turn=first (2 + 0) | turn=follow_up (2 + 1) |" in markdown
    assert "By segment" in render_html(summarize(records), records, "Run")


def test_a_result_line_says_whether_the_question_came_with_a_conversation():
    from bot.eval.dataset import EvalItem
    from bot.eval.runner import result_record
    from bot.schema import Answer

    answer = Answer(text="x", citations=[], refused=True)
    first = result_record(EvalItem(id="a", question="q", line=1), answer, 1.0)
    asked_before = [{"role": "user", "content": "p"}]
    later = result_record(EvalItem(id="b", question="q", line=2, history=asked_before), answer, 1.0)
    assert first["follow_up"] is False and later["follow_up"] is True


def test_html_report_is_self_contained_and_escapes_everything():
    records = [record("x<1>", question="<script>alert(1)</script>", answer="<img src=x onerror=alert(2)> [1]",
                      citations=[{"n": 1, "title": "<b>t</b>", "url": "javascript:alert(3)", "quote": "<i>q</i>"}],
                      must=[["never"]])]
    page = render_html(summarize(records), records, "Run <1>")
    assert "<script>" not in page and "<img" not in page and "&lt;script&gt;" in page
    assert "<b>t</b>" not in page and 'href="javascript' not in page
    assert "default-src 'none'" in page and "http://" not in page.replace("http://www.w3.org", "")
    assert "<svg" in page and "Run &lt;1&gt;" in page
    assert "| Grounded accuracy |" in render_markdown(summarize(records), "Run")


def test_ragas_export_uses_ragas_field_names():
    sample = ragas_sample(record("a", question="Q?", answer="A. [1]", contexts=["ctx"], reference="R",
                                 reference_contexts=["gold ctx"]))
    assert sample == {"user_input": "Q?", "retrieved_contexts": ["ctx"], "response": "A. [1]", "reference": "R",
                      "reference_contexts": ["gold ctx"]}


def test_compare_lists_better_and_worse_questions(tmp_path):
    def write_run(name, answers):
        directory = tmp_path / name
        directory.mkdir()
        records = [record(i, answer=f"{a}. [1]", must=[["yes"]],
                          citations=[{"n": 1, "title": "T", "url": "https://e.org", "quote": a, "passage": a}])
                   for i, a in answers.items()]
        (directory / "results.jsonl").write_text("\n".join(json.dumps(r) for r in records))
        (directory / "summary.json").write_text(json.dumps(summarize(records)))
        return directory

    a = write_run("a", {"q1": "yes", "q2": "no", "q3": "no"})
    b = write_run("b", {"q1": "no", "q2": "yes", "q3": "no"})
    result = compare_runs(a, b)
    assert [x["id"] for x in result["better"]] == ["q2"] and [x["id"] for x in result["worse"]] == ["q1"]
    assert result["deltas"]["answer_accuracy"]["delta"] == 0.0
    assert "Better (1)" in format_comparison(result, "a", "b")


def test_filter_and_limit():
    items = [EvalItem("a1", "Is it addictive?", 1, kind="crisis"), EvalItem("b2", "Dose?", 2),
             EvalItem("c3", "Dose again?", 3, answerable=False)]
    assert [i.id for i in select_items(items, ["dose"], None)] == ["b2", "c3"]
    assert [i.id for i in select_items(items, ["answerable=false"], None)] == ["c3"]
    assert [i.id for i in select_items(items, ["kind=crisis"], None)] == ["a1"]
    assert [i.id for i in select_items(items, [], 2)] == ["a1", "b2"]


def test_generate_drafts_questions_with_sources_from_the_corpus():
    from helpers import CORPUS

    from bot.eval.generate import draft_items

    items = draft_items(CORPUS)
    answerable = [i for i in items if i["answerable"]]
    assert len(answerable) >= 20 and all(i["draft"] for i in items)
    alpadir = [i for i in answerable if "agx030" in i["reference_sources"][0]]
    assert any("320" in i["must"][0] for i in alpadir)
    assert all(i["must"][0][0] in i["reference"] for i in answerable)
    assert {i.get("kind") for i in items} >= {"crisis"}


def test_risk_coverage_ranks_by_confidence_and_marks_the_operating_point():
    from bot.eval.risk_coverage import risk_coverage

    # (confidence, correct if answered, answered): the two most confident are right, then a wrong one, then a refusal
    result = risk_coverage([(0.9, True, True), (0.2, False, False), (0.8, True, True), (0.5, False, True)])
    assert [p["accuracy"] for p in result["curve"]] == [1.0, 1.0, 0.6667, 0.5]
    assert [p["coverage"] for p in result["curve"]] == [0.25, 0.5, 0.75, 1.0]
    assert result["aurc"] == round((0 + 0 + (1 - 0.6667) + 0.5) / 4, 4)
    assert result["operating_point"] == {"coverage": 0.75, "accuracy": 0.6667}
    assert risk_coverage([]) is None


def test_safety_metrics_count_urgent_recall_and_benign_false_alarms():
    from bot.eval.safety_metrics import summarize_safety

    rows = [
        {"id": 1, "routes": ["crisis", "emergency"], "safety_routes": ["crisis"], "split": "heldout"},
        {"id": 2, "routes": ["emergency"], "safety_routes": ["emergency"], "split": "heldout"},
        {"id": 3, "routes": ["answer"], "safety_routes": ["emergency"], "split": "dev"},
        {"id": 4, "routes": ["answer"], "safety_routes": ["dosing"], "split": "dev"},
        {"id": 5, "routes": ["dosing"], "safety_routes": [], "split": "dev"},
    ]
    summary = summarize_safety(rows)
    assert summary["urgent_recall"] == 0.5 and summary["urgent_any_recall"] == 1.0
    assert summary["benign_false_alarm_rate"] == 0.5 and summary["benign_notice_rate"] == 1.0
    assert summary["route_recall"]["emergency"] == 0.5 and summary["route_recall"]["dosing"] == 0.0
    assert summary["by_split"]["heldout"]["urgent_recall"] == 0.5
    assert {f["id"] for f in summary["failures"]} == {1, 3, 5}
