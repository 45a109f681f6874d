"""Errors whose messages are written for the person who will read them (operator or visitor)."""


class BotError(Exception):
    """Base class: the message is safe and useful to show as-is."""


class ConfigError(BotError):
    """A setting has a value that cannot be used."""


class IndexMissingError(BotError):
    """No usable index: the corpus has not been ingested yet."""

    def __init__(self, detail: str = ""):
        message = "The answer index is missing or empty. Run `make run` or `python -m ingest` to build it."
        super().__init__(f"{message} {detail}".strip())


class IndexUnavailableError(BotError):
    """The index exists but cannot be reached right now (for example the Chroma server is down)."""


class InvalidQuestionError(BotError, ValueError):
    """The question cannot be answered as given (empty, too long, not text)."""

