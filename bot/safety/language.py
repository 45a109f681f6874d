"""Is a message Spanish or English? Decided from word frequencies in each language (wordfreq), not a word list.

Each word votes with how much more common it is in one language than in the other (Zipf scale); words
neither language knows ("baclofeno", typos) do not vote. A message is Spanish when the votes lean Spanish,
or when it has Spanish-only marks ("¿", "ñ") and does not lean clearly English.
"""
from __future__ import annotations

import re
from functools import lru_cache

WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
SPANISH_MARKS = re.compile(r"[¿¡ñÑ]|[áéíóúÁÉÍÓÚ]")
LEAN = 0.6  # mean Zipf difference per word that counts as leaning one way
LONE_WORD_LEAN = 1.5  # one word decides alone only when it is clearly one language's ("hola", not "no")


@lru_cache(maxsize=50_000)
def _vote(word: str) -> float:
    from wordfreq import zipf_frequency

    spanish, english = zipf_frequency(word, "es"), zipf_frequency(word, "en")
    return max(-3.0, min(3.0, spanish - english))


def _votes(text: str) -> list[float]:
    return [v for v in (_vote(w) for w in WORD.findall(text.lower())) if v]


def spanish_lean(text: str) -> float:
    """Mean vote per word: positive leans Spanish, negative English, 0.0 with no known words."""
    votes = _votes(text)
    return sum(votes) / len(votes) if votes else 0.0


def detect_language(text: str) -> str:
    """'es' or 'en'."""
    votes = _votes(text)
    lean = sum(votes) / len(votes) if votes else 0.0
    if lean >= (LEAN if len(votes) > 1 else LONE_WORD_LEAN):
        return "es"
    if SPANISH_MARKS.search(text) and lean > -LEAN:
        return "es"
    return "en"
