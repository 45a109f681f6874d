"""The safety gate that runs before retrieval: crisis, emergency, personal dosing and help-seeking.

Pattern-based on purpose: it must work offline, be predictable, and err towards showing resources. A match
adds a notice that is shown *before* any sourced text; it never suppresses a grounded answer, because
"Can baclofen cause suicidal thoughts?" deserves both the 988 line and the cited answer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

SELF_HARM = re.compile(
    r"\b(suicid\w*|kill(ing)?\s+my\s?self|end(ing)?\s+(it\s+all|my\s+life)|take\s+my\s+(own\s+)?life|"
    r"(hurt|harm|cutt?|injur)(e|ing)?\s+my\s?self|self[-\s]?harm\w*|want(ed)?\s+to\s+die|wish\s+i\s+(was|were)\s+dead|"
    r"better\s+off\s+dead|(do\s*n[o']?t|don't|no\s+longer)\s+want\s+to\s+(live|be\s+alive|be\s+here|wake\s+up)|"
    r"no\s+reason\s+to\s+live|not\s+worth\s+living|can'?t\s+go\s+on)\b", re.IGNORECASE)

EMERGENCY = re.compile(
    r"\b(overdos\w*|od'?d|o\.d\.|(took|taken|swallowed|ate|had)\s+((way|far|a\s+lot)\s+)?(too\s+(many|much)|a\s+(whole|full|entire)\s+(bottle|pack|box)|all\s+(of\s+)?(my|the|his|her|their)\s+(pills|tablets|meds))|swallowed\s+(a\s+bunch|a\s+handful)|"
    r"(barely|not|isn'?t|is\s+not|stopped|can'?t|cannot|hardly)\s+breath(e|ing)|unresponsive|unconscious|"
    r"won'?t\s+wake\s+up|can'?t\s+wake\s+(him|her|them)|passed\s+out|turning\s+blue|lips\s+are\s+blue|"
    r"(is|he'?s|she'?s|i'?m|they'?re)\s+(having\s+a\s+seizure|seizing)|poison(ed|ing))\b", re.IGNORECASE)

BREATHING_TROUBLE = re.compile(r"\b((trouble|difficulty|struggling|hard\s+time|problems?)\s+breathing|"
                               r"short(ness)?\s+of\s+breath|can'?t\s+catch\s+(my|his|her|their)\s+breath)\b",
                               re.IGNORECASE)
PERSONAL = re.compile(r"\b(i|i'm|im|my|me|myself|should\s+i|can\s+i|do\s+i|my\s+(son|daughter|partner|husband|wife|mom|dad|friend))\b",
                      re.IGNORECASE)
DOSING = re.compile(
    r"\b(dose|doses|dosage|dosing|mg|milligrams?|how\s+(much|many)|how\s+often|increase|double|skip|missed|"
    r"stop(ping)?|quit(ting)?|come\s+off|coming\s+off|taper(ing)?|wean(ing)?|cold\s+turkey|take\s+(it|baclofen|more|less))\b",
    re.IGNORECASE)

INTERACTION = re.compile(
    r"\b(interact\w*|mix(ing|ed)?|combin\w*|together\s+with|at\s+the\s+same\s+time|while\s+(taking|on|using)|"
    r"(take|taking|use|using)\s+(baclofen|it)\s+with|(with|and)\s+(alcohol|drinking|beer|wine)\s+(on|while))\b",
    re.IGNORECASE)
SUBSTANCE = re.compile(
    r"\b(alcohol|drink\w*|beer|wine|liquor|drugs?|medications?|medicines?|meds|pills|opioids?|methadone|"
    r"buprenorphine|suboxone|naltrexone|cocaine|benzo\w*|xanax|valium|gabapentin|painkillers?|sleeping\s+pills|"
    r"antidepressants?|cannabis|marijuana|weed)\b", re.IGNORECASE)
HELP_SEEKING = re.compile(
    r"\b(rehab|treatment\s+(center|centre|program|programme|facility|options)|get(ting)?\s+(help|treatment|into\s+treatment)|"
    r"find\s+(help|treatment|a\s+program|a\s+rehab|support)|need\s+help|where\s+can\s+i|support\s+groups?|"
    r"helpline|hotline|admissions?|detox\s+(center|program|near)|near\s+me|sober\s+living)\b", re.IGNORECASE)

CRISIS_NOTICE = ("If you are thinking about suicide or hurting yourself, please reach out now: call or text 988 "
                 "(Suicide & Crisis Lifeline, 24/7, free and confidential). If you are in immediate danger, call 911.")
EMERGENCY_NOTICE = ("This may be a medical emergency: call 911 now. For a possible overdose or poisoning you can also "
                    "call Poison Control at 1-800-222-1222 (24/7). Do not wait for an answer from this chat.")
DOSING_NOTICE = ("I can't advise on your own dose. Please talk to your prescriber before you start, change or stop "
                 "baclofen. Here is what the sources say:")
INTERACTION_NOTICE = ("Whether baclofen is safe to combine with alcohol or another drug depends on you and the doses, "
                      "so please ask your prescriber or a pharmacist before mixing them.")
TREATMENT_NOTICE = ("To find treatment, the SAMHSA National Helpline is free, confidential and open 24/7: "
                    "1-800-662-4357.")


@dataclass(frozen=True)
class SafetyCheck:
    route: str = "answer"  # crisis | emergency | interaction | dosing | treatment | answer
    notices: tuple[str, ...] = field(default_factory=tuple)
    routes: tuple[str, ...] = ()  # every route whose notice is shown, most urgent first

    @property
    def urgent(self) -> bool:
        return self.route in ("crisis", "emergency")


def check_message(message: str) -> SafetyCheck:
    """Which resources a message needs before anything else; most urgent route first."""
    notices, routes = [], []
    if EMERGENCY.search(message) or (BREATHING_TROUBLE.search(message) and PERSONAL.search(message)):
        routes.append("emergency")
        notices.append(EMERGENCY_NOTICE)
    if SELF_HARM.search(message):
        routes.append("crisis")
        notices.insert(0, CRISIS_NOTICE)
    if not routes and INTERACTION.search(message) and SUBSTANCE.search(message):
        routes.append("interaction")
        notices.append(INTERACTION_NOTICE)
    elif not routes and PERSONAL.search(message) and DOSING.search(message):
        routes.append("dosing")
        notices.append(DOSING_NOTICE)
    if HELP_SEEKING.search(message):
        routes.append("treatment")
        notices.append(TREATMENT_NOTICE)
    route = next((r for r in ("crisis", "emergency", "interaction", "dosing", "treatment") if r in routes), "answer")
    shown = tuple(r for r in ("crisis", "emergency", "interaction", "dosing", "treatment") if r in routes)
    return SafetyCheck(route, tuple(notices), shown)
