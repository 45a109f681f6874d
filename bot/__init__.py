"""Questions in, cited answers out. `bot.answer(question)` is the seam the app and the eval use.

Heavy parts (Chroma, the embedding model) load on first use, so `import bot` is cheap.
"""
from __future__ import annotations


def retrieve(question: str, k: int = 5, history=None):
    """The k best passages for a question (hybrid dense + BM25), each ready to cite."""
    from bot.service import default_bot

    return default_bot().retrieve(question, k, history=history)


def answer(question: str, history=None):
    """A grounded, cited `Answer` (or a refusal, or crisis resources) for one question."""
    from bot.service import default_bot

    return default_bot().answer(question, history=history)
