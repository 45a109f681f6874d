"""Export results as a Ragas `EvaluationDataset` JSONL, so Ragas users can score our outputs:

    from ragas import EvaluationDataset
    dataset = EvaluationDataset.from_jsonl("DIR/ragas.jsonl")
"""
from __future__ import annotations

import json
from pathlib import Path


def ragas_sample(record: dict) -> dict:
    sample = {"user_input": record.get("question", ""), "retrieved_contexts": list(record.get("contexts") or []),
              "response": record.get("answer", ""), "reference": record.get("reference", "")}
    if record.get("reference_contexts"):
        sample["reference_contexts"] = list(record["reference_contexts"])
    return sample


def write_ragas(path: Path, records: list[dict]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(ragas_sample(record), ensure_ascii=False) + "\n")
    return path
