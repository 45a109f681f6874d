"""Words: tokens, stems, stopwords, and how rare a word is in English.

Used by BM25, by sentence scoring and by the answerability check, so all three agree on what a "term" is.
"""
from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+")
COMPOUND = re.compile(r"[a-z]+(?:-[a-z]+)+")  # "off-label", "half-life", "double-blind"
_stemmer = snowballstemmer.stemmer("english")

STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below between both
but by can could did do does doing down during each few for from further had has have having he her here hers
him his how i if in into is it its itself just me more most my myself no nor not now of off on once only or
other our ours out over own same she should so some such than that the their theirs them then there these they
this those through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself tell know please explain describe show give want wanted get got thing things
mean means really ok okay hi hello hey us much many also there's what's whats it's does did done say said says
use used using someone something anyone people person
""".split())

# Irregular forms the stemmer leaves apart ("craving fell" / "did craving fall").
IRREGULAR = {"fell": "fall", "fallen": "fall", "took": "take", "taken": "take", "gave": "give", "given": "give",
             "rose": "rise", "risen": "rise", "grew": "grow", "grown": "grow", "kept": "keep", "lost": "lose",
             "felt": "feel", "led": "lead", "began": "begin", "begun": "begin", "chose": "choose",
             "chosen": "choose", "brought": "bring", "thought": "think", "went": "go", "gone": "go", "ran": "run",
             "won": "win", "sought": "seek", "spent": "spend", "left": "leave", "met": "meet", "saw": "see",
             "seen": "see", "wrote": "write", "written": "write", "ate": "eat", "eaten": "eat", "drank": "drink",
             "drunk": "drink", "stopped": "stop"}

def tokenize(text: str) -> list[str]:
    """Words and numbers; a hyphenated compound also counts as one word ("off-label" -> off, label, offlabel)."""
    lowered = text.lower()
    tokens = TOKEN.findall(lowered)
    tokens.extend(match.replace("-", "") for match in COMPOUND.findall(lowered))
    return tokens


EVERYDAY_ZIPF = 4.5  # seen about once in 30,000 words or more often


@lru_cache(maxsize=50_000)
def everyday_word(word: str) -> bool:
    """True for a word common in everyday English or Spanish ("de", "national", "medicine", "smith"): it
    cannot name one source on its own, however rare it is in the corpus, since visitors write it about
    anything ("síntomas de abstinencia" is not about de Beaurepaire). Numbers (years) are never everyday."""
    if word[0].isdigit():
        return False
    return zipf_in_either_language(word) >= EVERYDAY_ZIPF


def zipf_in_either_language(word: str) -> float:
    """How common the word is in general English or Spanish, whichever is higher (wordfreq's Zipf scale:
    log10 of uses per billion words; 0 for a word it has never seen)."""
    from wordfreq import zipf_frequency

    return max(zipf_frequency(word, "en"), zipf_frequency(word, "es"))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return word if word[0].isdigit() else _stemmer.stemWord(IRREGULAR.get(word, word))


def is_term(token: str) -> bool:
    """A token that counts as a term: not a stopword, and longer than one letter (a digit counts)."""
    return token not in STOPWORDS and (len(token) > 1 or token.isdigit())


def terms(text: str) -> list[str]:
    """Stems of the non-stopword tokens, in order (duplicates kept, for BM25 term frequency)."""
    return [stem(t) for t in tokenize(text) if is_term(t)]


def name_terms(text: str) -> list[str]:
    """Terms of a source's name (authors, journal, title words) that can single it out: `terms` without
    everyday words."""
    return [stem(t) for t in tokenize(text) if is_term(t) and not everyday_word(t)]


def key_terms(question: str) -> dict[str, str]:
    """The distinct stems a question is about (stem -> the word as typed), stopwords left out. How much each
    weighs is decided by corpus idf and general-English rarity (`term_weight`), not by a list."""
    found: dict[str, str] = {}
    for token in tokenize(question):
        if is_term(token):
            found.setdefault(stem(token), token)
    return found


@lru_cache(maxsize=100_000)
def rarity(word: str) -> float:
    """How unusual a word is in general English, 0.2 (very common) .. 1.0 (rare), from wordfreq."""
    if word.isdigit():
        return 1.0
    from wordfreq import zipf_frequency

    return min(1.0, max(0.2, (6.2 - zipf_frequency(word, "en")) / 1.7))


SOURCE_NOUNS = frozenset("study studies trial trials review report paper article pilot case experiment".split())


def source_descriptors(question: str) -> list[str]:
    """Stems of the words right before "study", "trial", "report"... ("the cirrhosis trial" -> cirrhosi)."""
    tokens = TOKEN.findall(question.lower())
    return [stem(tokens[i - 1]) for i in range(1, len(tokens))
            if tokens[i] in SOURCE_NOUNS and tokens[i - 1] not in STOPWORDS]
