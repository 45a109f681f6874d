"""Questions as visitors type them: cleaning, validation, and follow-ups that lean on the conversation."""
from __future__ import annotations

import re
import unicodedata

from bot.errors import InvalidQuestionError

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")



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


ROLE_ALIASES = {"user": "user", "human": "user", "assistant": "assistant", "ai": "assistant", "bot": "assistant"}
MAX_HISTORY_TURNS = 50


def normalize_history(history) -> list[dict[str, str]]:
    """A conversation as [{"role": "user"|"assistant", "content": str}], from any of the shapes callers use:
    those dicts, LangChain messages (HumanMessage, AIMessage), role tuples ("human", text), dicts with a
    LangChain `type`, or [user, assistant] pairs. Anything else raises InvalidQuestionError naming the turn
    and what is allowed: a turn is never dropped silently, since a lost turn changes what a follow-up means."""
    if history is None:
        return []
    if not isinstance(history, (list, tuple)):
        raise InvalidQuestionError("The history must be a list of messages.")
    turns: list[dict[str, str]] = []
    for number, turn in enumerate(history[-MAX_HISTORY_TURNS:], start=1):
        turns.extend(_turn(number, turn))
    return turns


def _turn(number: int, turn) -> list[dict[str, str]]:
    role, content = _role_and_content(turn)
    if role is None:
        if isinstance(turn, (list, tuple)) and len(turn) == 2 and all(isinstance(t, (str, type(None))) for t in turn):
            return [{"role": r, "content": c}  # a [user, bot] pair
                    for r, c in zip(("user", "assistant"), turn, strict=False) if c]
        raise InvalidQuestionError(f"History turn {number} is not a message: give {{\"role\": \"user\"|\"assistant\", "
                                   f"\"content\": text}}, a LangChain message, or a (role, text) pair.")
    if role not in ROLE_ALIASES:
        raise InvalidQuestionError(f"History turn {number} has role {role!r}: only user and assistant turns are "
                                   f"accepted (no system or tool messages).")
    if not isinstance(content, str):
        raise InvalidQuestionError(f"History turn {number}: the content must be text.")
    return [{"role": ROLE_ALIASES[role], "content": content}]


def _role_and_content(turn) -> tuple[str | None, object]:
    message_type = getattr(turn, "type", None)  # LangChain BaseMessage: .type is "human", "ai", "system", ...
    if isinstance(message_type, str) and hasattr(turn, "content"):
        return message_type, turn.content
    if isinstance(turn, dict):
        role = turn.get("role", turn.get("type"))
        return (role if isinstance(role, str) else "(missing)"), turn.get("content")
    if isinstance(turn, (list, tuple)) and len(turn) == 2 and isinstance(turn[0], str) and turn[0].lower() in (
            *ROLE_ALIASES, "system", "tool", "function", "developer"):
        return turn[0].lower(), turn[1]
    return None, None


def previous_user_messages(history) -> list[str]:
    """What the visitor asked earlier in the conversation, oldest first."""
    return [t["content"] for t in normalize_history(history) if t["role"] == "user"]

