"""Messages as the safety patterns see them: lower case, no accents, straight quotes, single spaces.

Spanish is often typed without accents ("tome", "despues"), so patterns are written without them and every
message is folded the same way before matching.
"""
from __future__ import annotations

import re
import unicodedata

QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u00b4": "'", "`": "'",
                        "\u201c": '"', "\u201d": '"', "\u00bf": " ", "\u00a1": " "})


def fold(text: str) -> str:
    """Lower-cased text without accents or curly quotes, whitespace collapsed ("¿Tomé MUCHAS?" -> "tome muchas?")."""
    decomposed = unicodedata.normalize("NFKD", text.translate(QUOTES))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", plain.lower()).strip()
