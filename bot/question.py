"""What a question asks, read from its grammar, not from its topic words.

- `forms`: the closed class of question forms ("how many", "how long", "who", "why", yes/no, a list...),
  which the span scorer pairs with what a sentence holds (a number, a duration, a name, a list) through
  weights fitted on labelled questions;
- `parts`: a question that asks two things ("How long did it last, and how many took part?") is split at
  a conjunction or question mark that opens a new interrogative, so each part gets its own evidence;
- `excluded`: what a "besides X" / "other than X" clause presupposes: X is known, so the answer is elsewhere
  and X's words must not pull the answer towards itself.

Deliberately left out: topic words. No list here knows that "booze" means alcohol; dense similarity and the
fitted scorer carry paraphrase.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.safety.normalize import fold

CONTRACTIONS = ((r"\bwhat's\b", "what is"), (r"\bwhats\b", "what is"), (r"\bhow's\b", "how is"),
                (r"\bwho's\b", "who is"), (r"\bwhere's\b", "where is"), (r"\bthat's\b", "that is"))

# Interrogatives and auxiliaries of English and Spanish: the grammar of asking, the same for every topic.
FORMS = (
    ("how_many", r"\bhow many\b|\bwhat (?:number|percentage|percent|proportion|share|fraction)\b"
                 r"|\bcuant[oa]s\b|\bque porcentaje\b"),
    ("how_much", r"\bhow much\b|\bwhat (?:dose|dosage|amount)\b|\bhow (?:high|low|big|large|strong)\b"
                 r"|\bcuanto\b(?! tiempo)|\bque dosis\b"),
    ("how_long", r"\bhow long\b|\bhow many (?:days|weeks|months|years)\b|\bfor how long\b"
                 r"|\bcuanto tiempo\b|\bcuantas (?:semanas|dias|meses)\b"),
    ("when", r"\bwhen\b|\bwhat year\b|\bwhich year\b|\bcuando\b|\ben que ano\b"),
    ("who", r"\bwho\b|\bwhose\b|\bby whom\b|\bquien(?:es)?\b"),
    ("why", r"\bwhy\b|\bfor what reason\b|\bpor que\b|\bpara que\b"),
    ("how", r"\bhow (?!many|much|long|high|low|big|large|strong)\w+|\bin what way\b|\bcomo\b"),
    ("where", r"\bwhere\b|\bdonde\b"),
    ("list", r"\b(?:what|which) (?:are|were|other)\b"
             r"|\b(?:what|which) (?:\w+ )?\w{3,}s (?:are|were|did|do|does|have|has|had|can|could)\b"
             r"|\bwhat (?:\w+ )?(?:effects|symptoms|signs|treatments|options|conditions|risks|problems|things|ways)\b"
             r"|\blist\b|\bname (?:some|the|a few)\b|\bcuales (?:son|fueron)\b"),
    ("what", r"\bwhat\b|\bwhich\b|\bque\b|\bcual(?:es)?\b"),
    ("yes_no", r"^(?:(?:so|and|but|ok|okay|also|hi|hey|well|um)\W+)*"
               r"(?:is|are|was|were|does|do|did|can|could|will|would|should|has|have|had|may|might|must"
               r"|isn'?t|aren'?t|doesn'?t|don'?t|didn'?t|can'?t"
               r"|es|son|puede|puedo|sirve|hay|tiene|causa|ayuda)\b"),
)
FORM_NAMES = tuple(name for name, _ in FORMS)
_FORMS = tuple((name, re.compile(pattern)) for name, pattern in FORMS)

EXCLUSION = re.compile(
    r"\b(?:besides|apart from|aside from|other than|except(?: for)?|in addition to|not counting|excluding|"
    r"ademas de|aparte de|excepto|fuera de)\s+(?P<excluded>[^,?;.]+?)\s*(?=,|\?|;|\.|$|\s+(?:what|which|how|who|"
    r"is|are|was|were|does|did|do|can|could|que|cual|como)\b)")
PART_BOUNDARY = re.compile(
    r"\?\s+(?=\S)|;\s*|,?\s+(?:and|and also|also|plus|as well as|y|ademas)\s+(?=(?:what|which|how|who|when|where|"
    r"why|is|are|was|were|does|do|did|can|could|has|have|had|will|would|should|que|cual|cuales|cuanto|cuantos|"
    r"cuantas|como|cuando|quien|por que)\b)|,\s+(?=(?:what|which|how|who|when|where|why)\b)")
MAX_PARTS = 3
MIN_PART_WORDS = 2


@dataclass(frozen=True)
class QuestionShape:
    text: str  # the question as asked (cleaned)
    scoring_text: str  # without a "besides X" clause: what is embedded and matched
    forms: frozenset[str]
    parts: tuple[str, ...]  # one entry (the whole question) unless it asks several things
    part_forms: tuple[frozenset[str], ...]
    excluded: str = ""  # the presupposed X of "besides X"
    earlier: str | None = None  # the visitor's previous question, when this one stands on it (follow_ups.py)
    subject: str | None = None  # the earlier question, when it joined the scoring text


def plain(text: str) -> str:
    """Folded text with common contractions spelled out, for matching the grammar patterns."""
    folded = fold(text)
    for pattern, replacement in CONTRACTIONS:
        folded = re.sub(pattern, replacement, folded)
    return folded


def question_forms(text: str) -> frozenset[str]:
    folded = plain(text)
    return frozenset(name for name, pattern in _FORMS if pattern.search(folded))


def without_exclusions(text: str) -> tuple[str, str]:
    """(the question without its "besides X" clause, X); X is "" when there is none."""
    folded = plain(text)
    match = EXCLUSION.search(folded)
    if not match:
        return text, ""
    remaining = (folded[:match.start()] + folded[match.end():]).strip(" ,")
    return remaining or text, match.group("excluded").strip()


def question_parts(text: str) -> tuple[str, ...]:
    """The separately answerable parts of a question, at most MAX_PARTS; the whole question when one."""
    pieces = [p.strip(" ,.?!") for p in PART_BOUNDARY.split(plain(text))]
    pieces = [p for p in pieces if len(p.split()) >= MIN_PART_WORDS]
    if len(pieces) <= 1:
        return (text,)
    return tuple(pieces[:MAX_PARTS])


def joined_with(question: str, subject: str) -> str:
    """A follow-up as it is read: the question, then in brackets the earlier question it stands on."""
    return f"{question} ({subject.strip()})"


def shape_of(question: str, subject: str | None = None) -> QuestionShape:
    """`subject`: for a follow-up ("how many were in it?"), the earlier question that says what it is about.
    It joins the text that is embedded and matched, so the follow-up is compared with sentences as the
    question it stands for; the forms and parts stay the follow-up's own, since it asks only the new thing."""
    scoring_text, excluded = without_exclusions(question)
    parts = question_parts(scoring_text)
    forms = question_forms(scoring_text)
    if subject:
        scoring_text = joined_with(scoring_text, subject)
    return QuestionShape(question, scoring_text, forms, parts, tuple(question_forms(p) for p in parts), excluded,
                         subject=subject or None)
