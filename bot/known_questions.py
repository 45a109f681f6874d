"""Questions readers asked before, each with the corpus sentences that answer it: a signal fitted on data.

Words alone tie a question to its answer only when the reader uses the sources' words. Readers who wrote
the tuning sets asked about the same sentences in many other ways ("what was it first made for" for
"originally designed to treat epileptic seizures"), so how close a new question is to the questions a
sentence is known to answer says what no word list can. For each candidate sentence the composer reads:
- `known`: the highest cosine between the new question and a known question answered by that sentence;
- `known_gap`: how far that is below the best known question's cosine (0 for the sentence it points to).
Known questions that the sources do not answer (a price, another drug) are kept too, with no sentences: how
close a new question is to those, against how close it is to answered ones, is a signal for abstaining.
A follow-up is kept as the bot reads it, joined with the earlier question it stands on (`joined`), so that
"what dose did they get? (how long was the cirrhosis trial)" is compared with other follow-ups read the same
way. How complete a new question is by itself (`standalone_best`, which decides whether it is read with the
earlier one) is its closeness to questions asked on their own, never to one asked in a conversation
(`conversation`), even one the bot reads alone: "y cuantos se mantuvieron abstinentes?" kept as a complete
question would make every later "and how many ..." look complete too.

The sentence scorer and the answer/abstain model learn how much to trust these like any other signal
(`python -m bot.fit`), and learn it honestly: when a question from one set is scored, the known questions of
that set are left out (`exclude`), so the signal is always about other writers' questions. A sentence no
known question points to reads 0, so new documents are scored by the other signals alone.

`bot/data/known_questions.jsonl` is written by `python -m bot.fit` from the labelled sets, never from a
blind set still held out. Its vectors are computed with the bot's embedder when first needed, and kept on
disk under the model cache, keyed by the file's content and the model.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.scoring import DATA_DIR

KNOWN_QUESTIONS_FILE = DATA_DIR / "known_questions.jsonl"
log = logging.getLogger("bot")


@lru_cache(maxsize=16384)
def sentence_key(text: str) -> str:
    """The same sentence, whatever its line breaks or spacing."""
    return " ".join(text.split())


@dataclass
class KnownQuestions:
    questions: list[str]
    sets: list[str]  # which labelled set each question comes from
    sentences: list[tuple[str, ...]]  # sentence keys that answer each question
    vectors: np.ndarray | None = None
    joined: list[bool] = field(default_factory=list)  # a follow-up, kept joined with its earlier question
    conversation: list[bool] = field(default_factory=list)  # asked after earlier turns (joined or not)
    _rows_of: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _set_rows: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        rows: dict[str, list[int]] = {}
        for row, keys in enumerate(self.sentences):
            for key in keys:
                rows.setdefault(key, []).append(row)
        self._rows_of = {key: np.asarray(found, dtype=np.int64) for key, found in rows.items()}
        by_set: dict[str, list[int]] = {}
        for row, name in enumerate(self.sets):
            by_set.setdefault(name, []).append(row)
        self._set_rows = {name: np.asarray(found, dtype=np.int64) for name, found in by_set.items()}
        self._answered = np.asarray([bool(keys) for keys in self.sentences], dtype=bool)
        self._standalone = ~(self._flags(self.joined) | self._flags(self.conversation))

    def _flags(self, values: list[bool]) -> np.ndarray:
        return np.asarray(values or [False] * len(self.questions), dtype=bool)

    def __len__(self) -> int:
        return len(self.questions)

    @classmethod
    def empty(cls) -> KnownQuestions:
        return cls([], [], [], np.zeros((0, 0), dtype=np.float32))

    @classmethod
    def load(cls, path: Path = KNOWN_QUESTIONS_FILE) -> KnownQuestions:
        """The known questions in `path` (JSON lines of {question, set, sentences}); none if it is missing."""
        if not path.exists():
            return cls.empty()
        questions, sets, sentences, joined, conversation = [], [], [], [], []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                questions.append(str(row["question"]))
                sets.append(str(row.get("set", "")))
                sentences.append(tuple(sentence_key(s) for s in row["sentences"]))
                joined.append(bool(row.get("joined", False)))
                conversation.append(bool(row.get("conversation", row.get("joined", False))))
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"{path}:{number}: a known question needs 'question' and 'sentences' "
                                 f"({error})") from None
        return cls(questions, sets, sentences, joined=joined, conversation=conversation)

    def without(self, sets: Iterable[str]) -> KnownQuestions:
        """The same known questions, less those of `sets` (not embedded)."""
        left_out = set(sets)
        kept = [row for row, name in enumerate(self.sets) if name not in left_out]
        return KnownQuestions([self.questions[r] for r in kept], [self.sets[r] for r in kept],
                              [self.sentences[r] for r in kept],
                              joined=[self.joined[r] for r in kept] if self.joined else [],
                              conversation=[self.conversation[r] for r in kept] if self.conversation else [])

    def save(self, path: Path = KNOWN_QUESTIONS_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [json.dumps({"question": q, "set": s, "sentences": list(keys), **({"joined": True} if j else {}),
                             **({"conversation": True} if c else {})}, ensure_ascii=False)
                 for q, s, keys, j, c in zip(self.questions, self.sets, self.sentences, self._flags(self.joined),
                                             self._flags(self.conversation), strict=True)]
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")

    def embed(self, embed: Callable[[list[str]], np.ndarray], cache_dir: Path | None = None,
              model_name: str = "") -> KnownQuestions:
        """Compute the questions' vectors (or read them from `cache_dir`, keyed by content and model)."""
        if not self.questions:
            self.vectors = np.zeros((0, 0), dtype=np.float32)
            return self
        cache = None
        if cache_dir is not None and model_name:
            digest = hashlib.sha256(("\n".join([model_name, *self.questions])).encode()).hexdigest()[:20]
            cache = cache_dir / f"known-questions-{digest}.npy"
            if cache.exists():
                try:
                    self.vectors = np.load(cache)
                    if self.vectors.shape[0] == len(self.questions):
                        return self
                except (OSError, ValueError):
                    log.warning("ignoring an unreadable known-question cache %s", cache)
        self.vectors = np.asarray(embed(self.questions), dtype=np.float32)
        if cache is not None:
            try:
                cache.parent.mkdir(parents=True, exist_ok=True)
                np.save(cache, self.vectors)
            except OSError:
                log.warning("could not write the known-question cache %s", cache)
        return self

    def similarities(self, vector: np.ndarray, exclude: str | None = None) -> np.ndarray:
        """Cosine of `vector` with every known question; the questions of set `exclude` read -1."""
        if self.vectors is None or not len(self.questions) or self.vectors.shape[1] != len(vector):
            return np.full(len(self.questions), -1.0, dtype=np.float32)
        sims = self.vectors @ vector.astype(np.float32)
        if exclude is not None and exclude in self._set_rows:
            sims = sims.copy()
            sims[self._set_rows[exclude]] = -1.0
        return sims

    def sentence_scores(self, similarities: np.ndarray, texts: Iterable[str]) -> np.ndarray:
        """Per sentence, the highest similarity among the known questions it answers (0 for none)."""
        out = []
        for text in texts:
            rows = self._rows_of.get(sentence_key(text))
            out.append(max(0.0, float(similarities[rows].max())) if rows is not None and len(similarities) else 0.0)
        return np.asarray(out, dtype=np.float32)

    def best(self, similarities: np.ndarray, answered: bool = True) -> float:
        """The highest similarity to a known question the sources answer (or, with `answered=False`, to one
        they do not); 0 with none."""
        return _highest(similarities, self._answered == answered)

    def standalone_best(self, similarities: np.ndarray) -> float:
        """The highest similarity to a known question that was asked on its own; 0 with none."""
        return _highest(similarities, self._standalone)

    def pointed_sentences(self, similarities: np.ndarray, minimum: float, limit: int) -> list[str]:
        """The sentences answering the `limit` known questions closest to the new one, from `minimum` up."""
        if not len(similarities):
            return []
        top = np.argsort(-similarities, kind="stable")[:limit]
        keys: list[str] = []
        for row in top:
            if similarities[row] < minimum:
                break
            keys += [k for k in self.sentences[row] if k not in keys]
        return keys


def _highest(similarities: np.ndarray, rows: np.ndarray) -> float:
    """The highest of `similarities` where `rows` is true, floored at 0; 0 with none."""
    chosen = similarities[rows] if len(similarities) else similarities
    return max(0.0, float(chosen.max())) if len(chosen) else 0.0


@dataclass(frozen=True)
class KnownMatch:
    """One question against the known questions: the whole question's similarities, computed once, and the
    same comparison for any other vector (a part of the question), with the same set left out."""

    questions: KnownQuestions
    whole: np.ndarray
    exclude: str | None = None
    parts: tuple[np.ndarray, ...] = ()  # each part's similarities, when computed with other vectors than the bot's

    def of_part(self, number: int, vector: np.ndarray) -> np.ndarray:
        """Part `number`'s similarities (its bot vector `vector`, unless they were computed already)."""
        return self.parts[number] if self.parts else self.questions.similarities(vector, self.exclude)
