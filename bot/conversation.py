"""Questions as visitors type them: cleaning, validation, and follow-ups that lean on the conversation."""
from __future__ import annotations

import re
import unicodedata

from bot.errors import InvalidQuestionError
from bot.text import key_terms

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
FOLLOW_UP = re.compile(r"\b(they|them|their|it|its|this|that|these|those|he|she|him|his|her|the (study|trial|review|"
                       r"patients|participants|volunteers|man|patient|case)|same|there)\b", re.IGNORECASE)



def clean_question(raw, max_chars: int) -> str:
    """Normalized question text; raises InvalidQuestionError with a message for the visitor."""
    if not isinstance(raw, str):
        raise InvalidQuestionError("The question must be text.")
    text = CONTROL.sub(" ", unicodedata.normalize("NFKC", raw))
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise InvalidQuestionError("Please type a question, for example: “Is baclofen addictive?”")
    if len(text) > max_chars:
        raise InvalidQuestionError(f"That message is too long ({len(text):,} characters). Please keep questions "
                                   f"under {max_chars:,} characters.")
    return text


def previous_user_messages(history) -> list[str]:
    """User turns from a history given as [{"role", "content"}] messages or [user, assistant] pairs."""
    messages = []
    for turn in history or []:
        if isinstance(turn, dict):
            if turn.get("role") == "user" and isinstance(turn.get("content"), str):
                messages.append(turn["content"])
        elif isinstance(turn, (list, tuple)) and turn and isinstance(turn[0], str):
            messages.append(turn[0])
    return messages


def follow_up_context(question: str, history) -> str | None:
    """The earlier question a follow-up leans on ("What dose did they use?" after one about ALPADIR), else None.

    Only the subject carries over: the earlier question decides which sources are meant, the new one what
    is asked about them."""
    previous = previous_user_messages(history)
    if not previous:
        return None
    is_follow_up = FOLLOW_UP.search(question) or len(key_terms(question)) <= 1
    return previous[-1].strip() if is_follow_up else None
