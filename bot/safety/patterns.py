"""The first layer of the safety gate: the regular expressions of `patterns.yaml`, compiled once.

A pattern either settles its route or only suggests it (see the YAML header). Matching runs on the folded
message (normalize.fold), so one pattern covers accents, capitals and curly quotes.
"""
from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import yaml

PATTERNS_FILE = Path(__file__).with_name("patterns.yaml")


class Strength(StrEnum):
    SETTLES = "settles"
    SUGGESTS = "suggests"


@dataclass(frozen=True)
class SafetyPattern:
    route: str
    name: str
    regex: re.Pattern
    requires: re.Pattern | None
    strength: Strength
    examples: tuple[str, ...]
    counterexamples: tuple[str, ...]
    spellings: tuple[str, ...] = ()  # the correctly spelled words of a pattern that also matches misspellings

    def matches(self, folded: str) -> bool:
        return bool(self.regex.search(folded)) and (self.requires is None or bool(self.requires.search(folded)))

    def respelled(self, message: str) -> str:
        """`message` with each word this pattern matches that is no word of English or Spanish (a typo:
        "sucidal", "suisidal") replaced by the closest of `spellings`. The embeddings read a typo as some
        other word, so a short message that says little else ("sucidal again, idk") lost its meaning."""
        if not self.spellings:
            return message
        stem = os.path.commonprefix(list(self.spellings))  # "suicid": "suicidality" is no typo

        def correct(match: re.Match) -> str:
            word = match.group(0)
            if word.lower().startswith(stem) or is_a_word(word.lower()):  # spelled right, or a derived form
                return word
            closest = difflib.get_close_matches(word.lower(), self.spellings, n=1, cutoff=0.6)
            return closest[0] if closest else word
        return re.compile(self.regex.pattern, self.regex.flags | re.IGNORECASE).sub(correct, message)


WORD_ZIPF = 2.0  # a word general text uses at least once in 10 million words; common typos stay below ("sucide" 1.4)


def is_a_word(word: str) -> bool:
    """Whether general English or Spanish text uses the word as a word, not as a typo (wordfreq)."""
    from bot.text import zipf_in_either_language

    return zipf_in_either_language(word) >= WORD_ZIPF


def respelled(message: str, patterns: tuple[SafetyPattern, ...]) -> str:
    """The message with the typos that patterns recognize spelled out (SafetyPattern.respelled)."""
    for pattern in patterns:
        message = pattern.respelled(message)
    return message


def _expand(text: str, pieces: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: pieces[m.group(1)] if m.group(1) in pieces else m.group(0), text)


def load_patterns(path: Path = PATTERNS_FILE) -> tuple[SafetyPattern, ...]:
    """Every pattern of the file, compiled; a bad entry raises ValueError naming the route and the pattern."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    pieces = data.get("pieces", {})
    patterns = []
    for route, entries in data["routes"].items():
        for entry in entries:
            try:
                patterns.append(SafetyPattern(
                    route=route, name=entry["name"],
                    regex=re.compile(_expand(entry["pattern"], pieces)),
                    requires=re.compile(_expand(entry["requires"], pieces)) if entry.get("requires") else None,
                    strength=Strength(entry.get("strength", "settles")),
                    examples=tuple(entry.get("match", ())), counterexamples=tuple(entry.get("no_match", ())),
                    spellings=tuple(entry.get("spellings", ()))))
            except (KeyError, re.error, ValueError) as exc:
                raise ValueError(f"{path.name}: route {route!r}, pattern {entry.get('name')!r}: {exc}") from None
    return tuple(patterns)


@lru_cache(maxsize=1)
def default_patterns() -> tuple[SafetyPattern, ...]:
    return load_patterns()


def match_routes(folded: str, patterns: tuple[SafetyPattern, ...] | None = None) -> dict[str, Strength]:
    """Route -> the strongest strength of the patterns that match the folded message."""
    found: dict[str, Strength] = {}
    for pattern in patterns if patterns is not None else default_patterns():
        if pattern.matches(folded) and found.get(pattern.route) is not Strength.SETTLES:
            found[pattern.route] = pattern.strength
    return found


COMBINING = re.compile(r"\b(?:interact\w*|combin\w*|mix\w*|together|concurrent\w*|at the same time|alongside|"
                       r"in addition to)\b")


@lru_cache(maxsize=1)
def _substance() -> re.Pattern:
    data = yaml.safe_load(PATTERNS_FILE.read_text(encoding="utf-8"))
    return re.compile(r"\b" + data["pieces"]["substance"] + r"\b")


def speaks_of_combining(question: str, quoted: str) -> bool:
    """Whether quoted source text really speaks of taking baclofen together with a substance the question
    names: a word of combining, and that substance, in the quote itself."""
    from bot.safety.normalize import fold

    asked = {m.group(0) for m in _substance().finditer(fold(question))}
    text = fold(quoted)
    return bool(COMBINING.search(text)) and any(re.search(rf"\b{re.escape(s)}", text) for s in asked)
