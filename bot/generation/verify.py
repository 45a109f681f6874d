"""Is one generated sentence backed by the spans it cites? Four checks, all of which must pass:

1. it cites at least one span, and every span it cites exists;
2. the support judge that `bot.eval` uses for ALCE citation recall accepts it against the cited spans;
3. every number in it (digits or number words: doses, percentages, durations, counts) occurs in those spans;
4. each of its clauses agrees in negation with the cited clause closest to it: a "not" or "no" added or
   dropped fails it.

What this cannot see: a paraphrase that keeps the words and numbers but changes who did what to whom, or a
claim assembled from two true clauses that are not true together. The judge is strict so such sentences are
more often dropped than kept.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.index.splitting import split_sentences
from bot.text import terms, tokenize

MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
                     "ninety": 90, "hundred": 100, "thousand": 1000, "dozen": 12, "once": 1, "twice": 2})
CARDINALS = frozenset(w for w in NUMBER_WORDS if w not in ("once", "twice", "dozen", "hundred", "thousand"))
DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
NEGATION = frozenset("not no never none neither nor cannot without nobody nothing nowhere lack lacks lacked "
                     "fail fails failed".split())
CLAUSE_BREAK = re.compile(r"[,;:]\s+|\s+(?:but|although|though|whereas|while|however)\s+", re.I)

Judge = Callable[[str, list[str]], bool]


@dataclass(frozen=True)
class Verdict:
    kept: bool
    reason: str  # "" when kept; else what failed: uncited, unknown citation, unsupported, number, negation
    statement: str  # the sentence without its markers
    cites: tuple[int, ...]
    quotes: tuple[str, ...]  # the cited source sentences closest to it (what a visitor can open)


def citations_of(sentence: str) -> tuple[str, tuple[int, ...]]:
    """(the sentence without markers, the citation numbers in order of first mention)."""
    cites = [int(n) for group in MARKER.findall(sentence) for n in re.split(r"\s*[,;]\s*", group)]
    statement = re.sub(r"\s+([.!?,;:])", r"\1", MARKER.sub("", sentence)).strip()
    return re.sub(r"\s{2,}", " ", statement), tuple(dict.fromkeys(cites))


TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
COMPOUND_NUMBER = re.compile(rf"\b({TENS})[- ](one|two|three|four|five|six|seven|eight|nine)\b", re.I)


def as_digits(text: str) -> str:
    """Number words written as digits ("twenty-six weeks" -> "26 weeks"), so the judge compares like with like."""
    text = COMPOUND_NUMBER.sub(lambda m: str(NUMBER_WORDS[m[1].lower()] + NUMBER_WORDS[m[2].lower()]), text)
    return re.sub(r"[A-Za-z]+", lambda m: str(NUMBER_WORDS[m[0].lower()]) if m[0].lower() in CARDINALS else m[0],
                  text)


def numbers_in(text: str) -> set[float]:
    """Every number in a text, from digits or words ("twenty-six" = 26, "twice" = 2)."""
    text = as_digits(text)
    found = {float(d.replace(",", "")) for d in DIGITS.findall(text) if _plain_number(d)}
    return found | {float(NUMBER_WORDS[t]) for t in tokenize(text) if t in NUMBER_WORDS}


def _plain_number(digits: str) -> bool:
    try:
        float(digits.replace(",", ""))
        return True
    except ValueError:
        return False


def negated(text: str) -> bool:
    lowered = text.lower()
    return "n't" in lowered or any(token in NEGATION for token in tokenize(lowered))


def closest(statement: str, texts: Sequence[str]) -> str:
    """The text sharing the most content words with the statement (the first on a tie)."""
    wanted = set(terms(statement))
    return max(texts, key=lambda t: len(wanted & set(terms(t))), default="")


def clauses_of(text: str) -> list[str]:
    return [c for c in CLAUSE_BREAK.split(text) if c and c.strip()]


def negation_agrees(statement: str, sources: list[str]) -> bool:
    """Each clause of the statement has the same polarity as the source clause closest to it."""
    source_clauses = [c for s in sources for c in clauses_of(s)]
    return all(negated(clause) == negated(closest(clause, source_clauses))
               for clause in clauses_of(statement) if terms(clause))


def source_sentences(span: str) -> list[str]:
    return [span[s.start:s.end] for s in split_sentences(span)] or [span]


def verify(sentence: str, spans: dict[int, str], judge: Judge) -> Verdict:
    """Keep `sentence` only if it passes every check against the spans it cites (`spans`: n -> span text)."""
    statement, cites = citations_of(sentence)
    if not cites:
        return Verdict(False, "uncited", statement, cites, ())
    if any(n not in spans for n in cites):
        return Verdict(False, "unknown citation", statement, cites, ())
    cited = [spans[n] for n in cites]
    quotes = tuple(dict.fromkeys(closest(statement, source_sentences(span)) for span in cited))
    if not statement or not judge(as_digits(statement), [as_digits(span) for span in cited]):
        return Verdict(False, "unsupported", statement, cites, quotes)
    if not numbers_in(statement) <= set().union(*(numbers_in(span) for span in cited)):
        return Verdict(False, "number", statement, cites, quotes)
    if not negation_agrees(statement, [s for span in cited for s in source_sentences(span)]):
        return Verdict(False, "negation", statement, cites, quotes)
    return Verdict(True, "", statement, cites, quotes)
