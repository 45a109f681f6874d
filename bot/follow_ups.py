"""Whether a question in a conversation stands on the earlier question or stands alone.

"how many were in it?" after a question about a study means "how many were in that study"; "is baclofen
addictive?" after the same question is a new topic, and reading it with the earlier question pulls the answer
towards the wrong source. What tells them apart is how much the question says by itself: how much information
its words carry (rare words say more than common ones, in the visitor's language), how long it is, whether it
points back with a pronoun, and how close it comes to a question that was asked on its own (the known
questions: "is baclofen addictive" is short, but complete). A logistic regression over those signals,
fitted by `python -m bot.fit_follow_ups` on spent follow-up sets and on standalone questions asked after a
conversation about another source, gives the probability that the question needs the earlier one.

Deliberately not here: topic words. Nothing lists "side effects" or "dose" as follow-up words; a short
question is read with the conversation because it is short, whatever it asks.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.safety.language import detect_language
from bot.scoring import LogisticModel

FOLLOW_UP_MODEL_FILE = Path(__file__).resolve().parent / "data" / "follow_up_model.json"
# Words that point back at something already said, in English and Spanish: a closed grammatical class
# (pronouns, demonstratives, "the study" / "the same"), the same for every topic.
POINTS_BACK = re.compile(
    r"\b(they|them|their|it|its|this|that|these|those|he|she|him|his|her|same|there|the (study|trial|review|"
    r"patients|participants|volunteers|man|patient|case)|ese|esa|eso|esos|esas|este|esta|esto|estos|estas|"
    r"ellos|ellas|el estudio|el ensayo|la revision|los pacientes|mismo|misma)\b", re.IGNORECASE)
WORD = re.compile(r"[^\W_]+")
COMMON_ZIPF = 6.0  # a word this frequent ("the", "how", "it", "y", "la") carries no information of its own
FEATURES = ("bias", "points_back", "information", "log_words", "known_closeness")


@lru_cache(maxsize=50_000)
def word_information(word: str, language: str) -> float:
    """How much one word says: how much rarer it is than a function word, in its language (wordfreq's
    Zipf scale: 7 for "the", 4 for "dose", 0 for a word never seen, such as a drug's name)."""
    from wordfreq import zipf_frequency

    return max(0.0, COMMON_ZIPF - zipf_frequency(word, "es" if language == "es" else "en"))


def information(question: str) -> float:
    language = detect_language(question)
    return sum(word_information(w, language) for w in WORD.findall(question.lower()))


def follow_up_features(question: str, known_closeness: float) -> np.ndarray:
    """What the model reads: a constant, whether the question points back, how much its words say, how long
    it is, and its similarity to the nearest known standalone question."""
    return np.array([1.0, float(bool(POINTS_BACK.search(question))), information(question),
                     math.log1p(len(question.split())), known_closeness], dtype=np.float32)


@dataclass(frozen=True)
class FollowUpModel:
    weights: LogisticModel
    threshold: float = 0.5
    fitted_on: tuple[str, ...] = ()

    def probability(self, question: str, known_closeness: float) -> float:
        features = follow_up_features(question, known_closeness)[None, :]
        return float(self.weights.probabilities(features, FEATURES)[0])

    def stands_on_earlier(self, question: str, known_closeness: float) -> bool:
        return self.probability(question, known_closeness) >= self.threshold

    @classmethod
    def always(cls) -> FollowUpModel:
        """Every question read with the one before it (what the fit compares with reading it alone)."""
        return cls(LogisticModel({"bias": 50.0}))

    def to_json(self) -> dict:
        return {"features": list(FEATURES), "weights": self.weights.weights, "threshold": self.threshold,
                "fitted_on": list(self.fitted_on)}

    def save(self, path: Path = FOLLOW_UP_MODEL_FILE) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = FOLLOW_UP_MODEL_FILE) -> FollowUpModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        unknown = set(data["weights"]) - set(FEATURES)
        if unknown:
            raise ValueError(f"{path}: weights for unknown features {sorted(unknown)}; refit with "
                             f"python -m bot.fit_follow_ups")
        return cls(LogisticModel({k: float(v) for k, v in data["weights"].items()}), float(data["threshold"]),
                   tuple(data.get("fitted_on", ())))
