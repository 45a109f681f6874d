"""The fitted parts of answering: a sentence scorer, an answerability model, and how spans are chosen.

All of it is fitted by `python -m bot.fit` on labelled questions (tests/qa/tuning*_qa.jsonl) and stored in
`bot/data/answer_model.json` (a few KB of named weights, readable, and checked by a test against a refit).
Nothing here is set by hand; the defaults below only let the bot run before a model has been fitted.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"
ANSWER_MODEL_FILE = DATA_DIR / "answer_model.json"


@dataclass
class LogisticModel:
    """p = sigmoid(x . w) over named features; features the model does not know weigh nothing."""

    weights: dict[str, float]

    def vector(self, names: tuple[str, ...]) -> np.ndarray:
        return np.array([self.weights.get(name, 0.0) for name in names], dtype=np.float32)

    def probabilities(self, matrix: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(matrix @ self.vector(names))))


@dataclass
class Selection:
    """How many spans an answer gets, fitted for grounded accuracy within the length budget."""

    part_min: float = 0.35  # a further part of the question gets its own span from this probability
    extra_min: float = 0.6  # another span from the best span's document needs at least this probability...
    extra_ratio: float = 0.8  # ...and this share of the best one's
    other_source_min: float = 0.8  # a span from another document needs at least this probability
    # When the best span is a secondary source's (an article or reference page reporting research), the best
    # sentence of a study gets its span from this share of the best one's probability: the article's claim
    # comes with the study behind it ("it works through GABA, per Neuropharmacology" and the review itself).
    # Above 1: never.
    study_ratio: float = 1.01
    # A question comparing documents it names ("ALPADIR or Bacloville?") gets the best sentence of each from
    # this share of the best sentence's probability. Above 1: never.
    compared_ratio: float = 1.01
    max_spans: int = 3
    max_words: int = 110  # no further span once the answer is this long
    emphasis_min: float = 0.5  # a sentence inside a chosen span is emphasized from this probability


@dataclass
class AnswerModel:
    sentence: LogisticModel
    answerable: LogisticModel
    threshold: float  # answer when P(the chosen spans answer the question) is at least this
    selection: Selection = field(default_factory=Selection)
    fitted_on: dict = field(default_factory=dict)  # sets, sizes, cross-validated figures
    # For questions in another language than the sources: fitted on language-independent signals only
    # (multilingual similarity, structure, answer type), since the question's words match no source word.
    cross_lingual: AnswerModel | None = None

    def for_language(self, language: str) -> AnswerModel:
        return self if language == "en" or self.cross_lingual is None else self.cross_lingual

    def to_json(self) -> dict:
        data = {"sentence": self.sentence.weights, "answerable": self.answerable.weights,
                "threshold": self.threshold, "selection": asdict(self.selection), "fitted_on": self.fitted_on}
        if self.cross_lingual is not None:
            data["cross_lingual"] = self.cross_lingual.to_json()
        return data

    @classmethod
    def from_json(cls, data: dict) -> AnswerModel:
        cross = data.get("cross_lingual")
        return cls(LogisticModel(dict(data["sentence"])), LogisticModel(dict(data["answerable"])),
                   float(data["threshold"]), Selection(**data.get("selection", {})), data.get("fitted_on", {}),
                   cls.from_json(cross) if cross else None)

    def save(self, path: Path = ANSWER_MODEL_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=1, sort_keys=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = ANSWER_MODEL_FILE) -> AnswerModel:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
