"""Words: tokens, stems, stopwords and the lay terms visitors use for clinical ones.

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

# Words about the form of a question rather than its topic ("what *kind* of drug", "which receptor does it
# *act* on"): they carry no evidence either way, so they are not key terms.
QUESTION_FORM_WORDS = frozenset("""
kind kinds type types sort sorts act acts acting work works worked working happen happens happened else besides
combined combine combining mix mixed example examples exactly actually basically main mainly usual usually
typical typically true false really reason reasons way ways called known name named mention mentioned
find found show showed shown look looked difference different overall general generally specific
specifically current currently anything everything nothing whether regarding according take takes taking
took taken strongest strong best worst biggest largest most least key important good bad just
""".split())

# Terms so common in this corpus that they say nothing about what a question is asking.
DOMAIN_GENERIC = frozenset(_stemmer.stemWords("baclofen drug drugs medication medicine study studies".split()))

# Irregular forms the stemmer leaves apart ("craving fell" / "did craving fall").
IRREGULAR = {"fell": "fall", "fallen": "fall", "took": "take", "taken": "take", "gave": "give", "given": "give",
             "rose": "rise", "risen": "rise", "grew": "grow", "grown": "grow", "kept": "keep", "lost": "lose",
             "felt": "feel", "led": "lead", "began": "begin", "begun": "begin", "chose": "choose",
             "chosen": "choose", "brought": "bring", "thought": "think", "went": "go", "gone": "go", "ran": "run",
             "won": "win", "sought": "seek", "spent": "spend", "left": "leave", "met": "meet", "saw": "see",
             "seen": "see", "wrote": "write", "written": "write", "ate": "eat", "eaten": "eat", "drank": "drink",
             "drunk": "drink", "stopped": "stop"}

# Lay words and phrasings -> the corpus's own words (replaced in questions before matching).
LAY_TERMS = {
    "habit forming": "addictive", "habit-forming": "addictive", "cure": "treatment silver bullet miracle", "hooked": "addicted", "addicting": "addictive",
    "booze": "alcohol", "drinking": "drinking alcohol", "alcoholic": "alcohol dependence",
    "coke": "cocaine", "crack": "cocaine", "heroin": "opioid", "fentanyl": "opioid", "opiates": "opioid",
    "opiate": "opioid", "painkillers": "opioid", "oxycodone": "opioid",
    "dosage": "dose", "doses": "dose", "milligrams": "mg",
    "quit": "stop", "quitting": "stopping", "cold turkey": "abruptly stopping",
    "urges": "craving", "urge": "craving", "cravings": "craving",
    "side-effects": "side effects", "adverse effects": "side effects", "adverse events": "adverse event",
    "ms": "multiple sclerosis", "stiffness": "spasticity stiffness", "muscle spasms": "spasms",
    "trial": "trial study", "patients": "patients participants", "participants": "participants patients",
    "sober": "abstinent", "sobriety": "abstinence", "detoxing": "detox", "relapsing": "relapse",
    "liver disease": "liver cirrhosis", "fits": "seizures", "convulsions": "convulsions seizures",
    "how does baclofen work": "how does baclofen work gaba", "sleepy": "drowsiness",
    "trouble breathing": "difficulty breathing", "hard to breathe": "difficulty breathing",
    "short of breath": "difficulty breathing", "shortness of breath": "difficulty breathing",
    "mechanism of action": "how it works gaba receptor agonist", "mechanism": "gaba receptor agonist",
    "smoker": "smoking", "smokers": "smoking", "alcoholism": "alcohol dependence",
    "prescribed for": "used to treat", "used for": "used to treat", "conditions": "diseases",
    "first developed": "originally designed", "suddenly": "abruptly", "sudden": "abrupt", "invented": "originally designed", "developed for": "designed to treat",
}
_LAY_PATTERN = re.compile(r"\b(" + "|".join(sorted((re.escape(k) for k in LAY_TERMS), key=len, reverse=True)) + r")\b")


def normalize_question(question: str) -> str:
    """Lower-case the question and replace lay terms with the corpus's words for them."""
    return _LAY_PATTERN.sub(lambda m: LAY_TERMS[m.group(1)], question.lower())


def tokenize(text: str) -> list[str]:
    """Words and numbers; a hyphenated compound also counts as one word ("off-label" -> off, label, offlabel)."""
    lowered = text.lower()
    tokens = TOKEN.findall(lowered)
    tokens.extend(match.replace("-", "") for match in COMPOUND.findall(lowered))
    return tokens


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return word if word[0].isdigit() else _stemmer.stemWord(IRREGULAR.get(word, word))


def terms(text: str) -> list[str]:
    """Stems of the non-stopword tokens, in order (duplicates kept, for BM25 term frequency)."""
    return [stem(t) for t in tokenize(text) if t not in STOPWORDS and (len(t) > 1 or t.isdigit())]


def key_terms(question: str) -> dict[str, str]:
    """The distinct stems a question is about (stem -> the word as typed), lay terms mapped, and words that
    only shape the question ("what kind of") or name the domain ("baclofen") dropped."""
    found: dict[str, str] = {}
    for token in tokenize(normalize_question(question)):
        if token in STOPWORDS or token in QUESTION_FORM_WORDS or (len(token) < 2 and not token.isdigit()):
            continue
        term = stem(token)
        if term not in DOMAIN_GENERIC:
            found.setdefault(term, token)
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
