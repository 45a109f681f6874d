"""Turn results lines into summary.json: headline metrics plus a failure reason for every failed question."""
from __future__ import annotations

import re
import statistics
from typing import Any

from bot.eval.metrics import (
    citation_scores,
    contains_all_groups,
    hit_at_k,
    latency_summary,
    ratio,
    reciprocal_rank,
    source_matches,
    split_statements,
    token_f1,
)
from bot.eval.risk_coverage import risk_coverage
from bot.eval.safety_metrics import is_safety_row, summarize_safety
from bot.eval.support import SupportJudge
from bot.safety.notices import SOURCES_IN_ENGLISH

CRISIS_ROUTES = ("crisis", "emergency")
RECALL_KS = (1, 3, 5)


def category(record: dict) -> str:
    if is_safety_row(record):
        return "safety"
    if record.get("kind") == "crisis":
        return "crisis"
    return "answerable" if record.get("answerable", True) else "out_of_scope"


def judge(record: dict, support: SupportJudge) -> dict:
    """Per-question verdicts and the reasons for any failure."""
    kind = category(record)
    verdict: dict[str, Any] = {"id": record.get("id"), "category": kind, "reasons": []}
    if kind == "safety":
        pass  # judged as a whole by summarize_safety
    elif kind == "crisis":
        _judge_crisis(record, verdict)
    elif kind == "out_of_scope":
        verdict["refused_ok"] = bool(record.get("refused"))
        if not verdict["refused_ok"]:
            verdict["reasons"].append("answered an out-of-scope question")
    else:
        _judge_answerable(record, verdict, support)
    return verdict


def _judge_crisis(record: dict, verdict: dict) -> None:
    must = record.get("must") or []
    routed = contains_all_groups(record.get("answer") or "", must) if must else record.get("route") in CRISIS_ROUTES
    verdict["routed"] = routed
    if not routed:
        verdict["reasons"].append("crisis resources missing")


def _judge_answerable(record: dict, verdict: dict, support: SupportJudge) -> None:
    answer, refused = record.get("answer") or "", bool(record.get("refused"))
    must, gold = record.get("must") or [], record.get("reference_sources") or []
    urls = [c.get("url", "") for c in record.get("citations") or []]
    verdict["false_refusal"] = refused
    verdict["fact"] = (not refused and contains_all_groups(answer, must)) if must else None
    verdict["cite_hit"] = any(source_matches(u, gold) for u in urls) if gold else None
    verdict["cites_ok"], verdict["cites"] = sum(source_matches(u, gold) for u in urls), len(urls)
    _judge_retrieval(record, verdict, gold)
    _judge_citations(record, verdict, support)
    reference = record.get("reference") or ""
    verdict["f1"] = token_f1(answer, reference) if reference and not refused else (0.0 if reference else None)
    verdict["similarity"] = _similarity(record, support) if reference and not refused else (0.0 if reference else None)
    reasons = verdict["reasons"]
    if refused:
        reasons.append("refused an answerable question")
    elif verdict["fact"] is False:
        reasons.append("key fact missing from the answer")
    if not refused and verdict["cite_hit"] is False:
        reasons.append("no citation to a reference source")
    if verdict.get("hits", {}).get(max(RECALL_KS)) is False:
        reasons.append(f"no passage from a reference source in the top {max(RECALL_KS)} retrieved")
    if verdict.get("unsupported"):
        reasons.append(f"{verdict['unsupported']} statement(s) not supported by their citations")


def _judge_retrieval(record: dict, verdict: dict, gold: list[str]) -> None:
    retrieved = record.get("retrieved")
    if not gold or retrieved is None:
        return
    urls = [r.get("url", "") for r in retrieved]
    verdict["hits"] = {k: hit_at_k(urls, gold, k) for k in RECALL_KS}
    verdict["rr"] = reciprocal_rank(urls, gold)
    verdict["source_hits"] = {g: any(source_matches(u, [g]) for u in urls[:max(RECALL_KS)]) for g in gold}


def _judge_citations(record: dict, verdict: dict, support: SupportJudge) -> None:
    if record.get("refused"):
        return
    passages = {c["n"]: c.get("passage") or c.get("quote", "") for c in record.get("citations") or []}
    scores = citation_scores(sourced_statements(record), passages, support)
    verdict.update(scores)
    verdict["unsupported"] = scores["statements"] - scores["supported"]


def _similarity(record: dict, support: SupportJudge) -> float | None:
    if support.embed is None:
        return None
    text = " ".join(s for s, _ in sourced_statements(record))
    return round(support.similarity(text, [record["reference"]]), 4) if text else 0.0


def generation_metrics(records: list[dict]) -> dict | None:
    """For a run with the site's model (`eval --llm`): how often it was asked, how often its answer was shown,
    the fallback rate, and the share of its sentences that verification dropped (with why). None otherwise."""
    asked = [r["generation"] for r in records if isinstance(r.get("generation"), dict)]
    if not asked:
        return None
    sentences = sum(g.get("sentences", 0) for g in asked)
    kept = sum(g.get("kept", 0) for g in asked)
    reasons: dict[str, int] = {}
    for g in asked:
        for reason, count in (g.get("dropped") or {}).items():
            reasons[reason] = reasons.get(reason, 0) + count
    fallbacks = [g["fallback"] for g in asked if g.get("fallback")]
    return {"asked": len(asked), "generated_share": ratio(len(asked) - len(fallbacks), len(asked)),
            "fallback_rate": ratio(len(fallbacks), len(asked)), "sentences": sentences,
            "dropped_sentence_share": ratio(sentences - kept, sentences), "dropped_by_reason": reasons,
            "fallback_reasons": _count_reasons(fallbacks)}


def _count_reasons(reasons: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for reason in reasons:
        key = reason.split(":")[0] if reason.startswith("endpoint failed") else re.sub(r"\d+", "N", reason)
        counts[key] = counts.get(key, 0) + 1
    return counts


def summarize(records: list[dict], support: SupportJudge | None = None) -> dict:
    support = support or SupportJudge()
    verdicts = [judge(r, support) for r in records]
    answerable = [v for v in verdicts if v["category"] == "answerable"]
    out_of_scope = [v for v in verdicts if v["category"] == "out_of_scope"]
    crisis = [v for v in verdicts if v["category"] == "crisis"]
    summary: dict[str, Any] = {"questions": len(records), "answerable": len(answerable),
                               "out_of_scope": len(out_of_scope), "crisis": len(crisis)}
    summary.update(_answer_metrics(answerable))
    summary.update(_retrieval_metrics(answerable))
    summary.update(_citation_metrics(answerable))
    summary.update(
        refusal_accuracy=ratio(sum(v["refused_ok"] for v in out_of_scope), len(out_of_scope)),
        false_refusal_rate=ratio(sum(v["false_refusal"] for v in answerable), len(answerable)),
        crisis_routing=ratio(sum(v["routed"] for v in crisis), len(crisis)),
    )
    summary["answer_words_median"] = _median_answer_words(records)
    recall = context_recall(records, support)
    if recall is not None:
        summary["context_recall"] = recall
    summary.update(latency_summary(records))
    summary["risk_coverage"] = _risk_coverage(records, verdicts)
    safety = summarize_safety(records)
    if safety is not None:
        summary["safety"] = safety
    generation = generation_metrics(records)
    if generation is not None:
        summary["generation"] = generation
    summary["by_segment"] = by_segment(records, verdicts)
    summary["per_source_retrieval"] = _per_source(answerable)
    summary["failures"] = [{"id": v["id"], "category": v["category"], "reasons": v["reasons"]}
                           for v in verdicts if v["reasons"]]
    return summary


def by_segment(records: list[dict], verdicts: list[dict]) -> dict[str, dict]:
    """The answer metrics per language ("lang=es") and per turn ("turn=follow_up": a question asked with a
    conversation before it), where the answers are lost being what an evaluator looks for first; segments
    with no answerable or out-of-scope question are left out."""
    segments: dict[str, list[dict]] = {}
    for record, verdict in zip(records, verdicts, strict=True):
        if verdict["category"] in ("answerable", "out_of_scope"):
            for key in (f"lang={record.get('lang') or 'unknown'}",
                        f"turn={'follow_up' if record.get('follow_up') else 'first'}"):
                segments.setdefault(key, []).append(verdict)
    result = {}
    for key, group in sorted(segments.items()):
        answerable = [v for v in group if v["category"] == "answerable"]
        out_of_scope = [v for v in group if v["category"] == "out_of_scope"]
        graded = [v for v in answerable if v["fact"] is not None and v["cite_hit"] is not None]
        result[key] = {
            "answerable": len(answerable), "out_of_scope": len(out_of_scope),
            "grounded_accuracy": ratio(sum(bool(v["fact"] and v["cite_hit"]) for v in graded), len(graded)),
            "false_refusal_rate": ratio(sum(v["false_refusal"] for v in answerable), len(answerable)),
            "refusal_accuracy": ratio(sum(v["refused_ok"] for v in out_of_scope), len(out_of_scope)),
        }
    return result


def context_recall(records: list[dict], support: SupportJudge) -> float | None:
    """Ragas' context recall for rows that give `reference_contexts`: the share of those reference texts that
    the retrieved passages (`contexts`) support, by the same judge as citation support; mean over rows.
    None when no row gives reference contexts."""
    shares = []
    for record in records:
        wanted = record.get("reference_contexts") or []
        if wanted and record.get("answerable", True):
            found = record.get("contexts") or []
            shares.append(sum(support(text, found) for text in wanted) / len(wanted))
    return round(sum(shares) / len(shares), 4) if shares else None


def _risk_coverage(records: list[dict], verdicts: list[dict]) -> dict | None:
    rows = []
    for record, verdict in zip(records, verdicts, strict=True):
        if verdict["category"] not in ("answerable", "out_of_scope") or record.get("confidence") is None:
            continue
        correct = verdict["category"] == "answerable" and bool(verdict.get("fact") and verdict.get("cite_hit"))
        rows.append((float(record["confidence"]), correct, not record.get("refused")))
    return risk_coverage(rows)


def answer_words(record: dict) -> int:
    """Words of the sourced part of an answer: safety notices and [n] markers left out."""
    return sum(len(statement.split()) for statement, _ in sourced_statements(record))


def sourced_statements(record: dict) -> list[tuple[str, list[int]]]:
    """The statements an answer makes from its sources: safety notices and the fixed line that says the
    sources are in English (shown above quotes for a Spanish question) are the bot's framing, not claims."""
    framing = [*(record.get("notices") or []), *(line for line in SOURCES_IN_ENGLISH.values() if line)]
    return split_statements(record.get("answer") or "", framing)


def _median_answer_words(records: list[dict]) -> float | None:
    counts = [answer_words(r) for r in records if category(r) == "answerable" and not r.get("refused")]
    return statistics.median(counts) if counts else None


def _answer_metrics(answerable: list[dict]) -> dict:
    with_fact = [v for v in answerable if v["fact"] is not None]
    with_gold = [v for v in answerable if v["cite_hit"] is not None]
    graded = [v for v in answerable if v["fact"] is not None and v["cite_hit"] is not None]
    f1 = [v["f1"] for v in answerable if v["f1"] is not None]
    similarity = [v["similarity"] for v in answerable if v["similarity"] is not None]
    return {
        "answer_accuracy": ratio(sum(bool(v["fact"]) for v in with_fact), len(with_fact)),
        "citation_hit": ratio(sum(bool(v["cite_hit"]) for v in with_gold), len(with_gold)),
        "grounded_accuracy": ratio(sum(bool(v["fact"] and v["cite_hit"]) for v in graded), len(graded)),
        "citation_source_precision": ratio(sum(v["cites_ok"] for v in with_gold), sum(v["cites"] for v in with_gold)),
        "answer_token_f1": round(statistics.fmean(f1), 4) if f1 else None,
        "answer_embedding_similarity": round(statistics.fmean(similarity), 4) if similarity else None,
    }


def _retrieval_metrics(answerable: list[dict]) -> dict:
    ranked = [v for v in answerable if "hits" in v]
    metrics = {f"recall@{k}": ratio(sum(v["hits"][k] for v in ranked), len(ranked)) for k in RECALL_KS}
    metrics["mrr"] = round(statistics.fmean(v["rr"] for v in ranked), 4) if ranked else None
    return metrics


def _citation_metrics(answerable: list[dict]) -> dict:
    scored = [v for v in answerable if "statements" in v]
    return {
        "citation_recall": ratio(sum(v["supported"] for v in scored), sum(v["statements"] for v in scored)),
        "citation_precision": ratio(sum(v["precise"] for v in scored), sum(v["citations"] for v in scored)),
    }


def _per_source(answerable: list[dict]) -> dict:
    table: dict[str, list[bool]] = {}
    for v in answerable:
        for source, hit in v.get("source_hits", {}).items():
            table.setdefault(source, []).append(hit)
    return {source: {"questions": len(hits), "hit_rate": ratio(sum(hits), len(hits))}
            for source, hits in sorted(table.items())}
