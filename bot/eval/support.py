"""An offline stand-in for ALCE's NLI judge: does a set of passages support a statement?

Supported when (1) at least `lexical_threshold` of the statement's content words (stems, stopwords left out)
occur in the passages, or (2) an embedding model is available and some single sentence of the passages is
at least `cosine_threshold` similar to the statement. This is an approximation: it cannot see negation or
paraphrase the way an entailment model can, so it is strict on purpose (high thresholds).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from bot.index.splitting import split_sentences
from bot.text import terms


class SupportJudge:
    def __init__(self, embed: Callable[[Sequence[str]], np.ndarray] | None = None,
                 lexical_threshold: float = 0.8, cosine_threshold: float = 0.9):
        self.embed = embed
        self.lexical_threshold = lexical_threshold
        self.cosine_threshold = cosine_threshold
        self._vectors: dict[str, np.ndarray] = {}

    def __call__(self, statement: str, passages: list[str]) -> bool:
        wanted = set(terms(statement))
        if not wanted:
            return True
        found = set().union(*(terms(p) for p in passages)) if passages else set()
        if len(wanted & found) / len(wanted) >= self.lexical_threshold:
            return True
        if self.embed is None or not passages:
            return False
        sentences = [p[s.start:s.end] for p in passages for s in split_sentences(p)]
        return self.similarity(statement, sentences) >= self.cosine_threshold

    def similarity(self, text: str, others: list[str]) -> float:
        """Highest cosine between `text` and any of `others` (0.0 without a model)."""
        if self.embed is None or not others:
            return 0.0
        missing = [t for t in dict.fromkeys([text, *others]) if t not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self.embed(missing), strict=True))
        return float(max(self._vectors[text] @ self._vectors[o] for o in others))
