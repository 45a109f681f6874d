"""`Bot`: the object behind `bot.answer()` and `bot.retrieve()`.

It owns the embedder, the Chroma connection and the in-memory `PassageIndex`, and notices when `python -m
ingest` publishes a newer index (checked at most every `index_refresh_seconds`).
"""
from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from bot.compose import compose_answer
from bot.conversation import clean_question, follow_up_context
from bot.errors import BotError, IndexMissingError, IndexUnavailableError, InvalidQuestionError
from bot.retrieval import PassageIndex, hybrid_search
from bot.safety import check_message
from bot.schema import Answer, Passage
from bot.settings import Settings
from bot.text import key_terms, normalize_question, source_descriptors, stem, terms
from ingest.embedding import Embedder, SentenceTransformerEmbedder
from ingest.store import IndexStore

log = logging.getLogger("bot")

REFUSAL = ("I couldn't find an answer to that in my sources, so I won't guess. I can answer questions about "
           "baclofen: what it is used for and how it works, its side effects and addiction potential, and the "
           "research on baclofen for alcohol, opioid and cocaine addiction.")
DISCLAIMER = "Educational information from the cited sources, not medical advice."
WARM_UP_QUESTIONS = ("What is baclofen?", "Can baclofen treat migraine headaches?",
                     "How many patients were randomized in the ALPADIR study, and what dose did they take?")


class Bot:
    def __init__(self, settings: Settings | None = None, *, embedder: Embedder | None = None,
                 store: IndexStore | None = None):
        self.settings = settings or Settings.from_env()
        self.embedder = embedder or SentenceTransformerEmbedder(self.settings.embed_model,
                                                                self.settings.embed_batch_size)
        getattr(self.embedder, "set_threads", lambda threads: None)(self.settings.query_threads)
        self._store = store
        self._index: PassageIndex | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()
        self._query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    # --- the index -----------------------------------------------------------------------------
    @property
    def store(self) -> IndexStore:
        if self._store is None:
            self._store = IndexStore(self.settings)
        return self._store

    def index(self, force_check: bool = False) -> PassageIndex:
        """The live index, reloaded when a newer version has been published."""
        now = time.monotonic()
        if self._index is not None and not force_check and now - self._checked_at < self.settings.index_refresh_seconds:
            return self._index
        with self._lock:
            try:
                tag = self.store.live_tag()
            except IndexUnavailableError:
                self._checked_at = now
                if self._index is not None and self._index.self_contained:
                    log.warning("index server unreachable: answering from the copy in memory until it is back")
                    return self._index
                raise
            self._checked_at = now
            if tag is None:
                raise IndexMissingError()
            if self._index is None or self._index.version.tag != tag:
                version = self.store.open_version(tag)
                if version is None or not version.info.get("passages"):
                    raise IndexMissingError()
                self._index = PassageIndex(self.store, version, self.settings.memory_vector_limit)
            return self._index

    def is_corpus_word(self, word: str) -> bool:
        """Whether some passage of the index uses this word (for redaction: corpus words are not names)."""
        try:
            return stem(word.lower()) in self.index().bm25.vocabulary
        except BotError:
            return False

    def warm_up(self) -> None:
        """Load the index, the model and the word-frequency table now rather than on a visitor's question."""
        self.index()
        getattr(self.embedder, "warm_up", lambda: None)()
        for question in WARM_UP_QUESTIONS:
            self.answer(question)
        self._query_vectors.clear()

    # --- queries -------------------------------------------------------------------------------
    def embed_query(self, text: str) -> np.ndarray:
        key = text.strip().lower()  # the model is uncased
        vector = self._query_vectors.get(key)
        if vector is None:
            embed_one = getattr(self.embedder, "embed_one", None)
            vector = embed_one(text) if embed_one else self.embedder.embed([text])[0]
            if self.settings.query_cache_size:
                with self._cache_lock:  # answers run in several threads
                    self._query_vectors[key] = vector
                    while len(self._query_vectors) > self.settings.query_cache_size:
                        self._query_vectors.popitem(last=False)
        return vector

    def _query(self, index: PassageIndex, question: str, history) -> Query:
        earlier = follow_up_context(question, history)
        correct = index.spelling.correct
        terms_now = [correct(t) for t in dict.fromkeys(terms(normalize_question(question)))]
        terms_then = [correct(t) for t in dict.fromkeys(terms(normalize_question(earlier)))] if earlier else []
        named = index.named_sources(terms_now, [correct(t) for t in source_descriptors(question)])
        from_context = not named[0] and bool(terms_then)
        if from_context:
            named = index.named_sources(terms_then, [correct(t) for t in source_descriptors(earlier)])
        key = {correct(t): word for t, word in key_terms(question).items()}
        return Query(question, list(dict.fromkeys(terms_now + terms_then)), key, named,
                     from_context=from_context and bool(named[0]))

    def _search(self, question: str, history, k: int) -> tuple[list[Passage], np.ndarray, PassageIndex, Query]:
        vector = self.embed_query(question)
        for attempt in (1, 2):
            index = self.index(force_check=attempt == 2)
            query = self._query(index, question, history)
            try:
                passages = hybrid_search(index, vector, query.search_terms, k, self.settings.retrieve_candidates,
                                         self.settings.rrf_k, named=query.named[0])
                return passages, vector, index, query
            except IndexUnavailableError:
                raise
            except Exception:  # the version was replaced and deleted under us: reload once
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def retrieve(self, question: str, k: int = 5, history=None) -> list[Passage]:
        return self._search(clean_question(question, self.settings.max_question_chars), history, k)[0]

    def answer(self, question, history=None) -> Answer:
        try:
            text = clean_question(question, self.settings.max_question_chars)
        except InvalidQuestionError as exc:
            return Answer(text=str(exc), refused=True, route="invalid")
        safety = check_message(text)
        passages, vector, index, query = self._search(text, history, self.settings.answer_passages)
        composition = compose_answer(
            text, vector, query.key_terms, passages, index.sentence_vectors(passages), index.bm25.idf, query.named,
            index.context_terms, index.sentence_terms,
            min_score=self.settings.min_answer_score - (self.settings.follow_up_relief if query.from_context else 0.0),
            min_coverage=self.settings.min_coverage,
            max_unknown=self.settings.max_unknown_share, max_sentences=self.settings.max_answer_sentences,
            margin=self.settings.sentence_margin)
        return _assemble(safety, composition, passages)


@dataclass(frozen=True)
class Query:
    """A question ready to search with: what to score, which terms to match, which sources it is about."""

    text: str
    search_terms: list[str]  # BM25 terms, including the earlier question's for a follow-up
    key_terms: dict[str, str]  # stem -> word, for scoring and the answerability check
    named: tuple[frozenset[str], frozenset[str]]  # (doc ids the conversation singles out, the terms naming them)
    from_context: bool = False  # the sources were named by an earlier question, not this one


INTERACTION_EVIDENCE = re.compile(r"\b(interact\w*|combin\w*|mix\w*|together|concurrent\w*|at the same time)\b",
                                  re.IGNORECASE)


def _assemble(safety, composition, passages: list[Passage]) -> Answer:
    if safety.route == "interaction" and composition and not INTERACTION_EVIDENCE.search(composition.text):
        composition = None  # sources that never speak of combining drugs cannot answer "can I mix them?"
    notices = list(safety.notices)
    route = safety.route
    if composition is None:
        body = "" if safety.urgent else REFUSAL
        text = "\n\n".join(notices + ([body] if body else []))
        return Answer(text=text, refused=True, passages=passages, route=route if route != "answer" else "refused",
                      notices=notices, safety_routes=list(safety.routes), disclaimer="" if safety.urgent else DISCLAIMER)
    text = "\n\n".join(notices + [composition.text])
    return Answer(text=text, citations=composition.citations, refused=False, passages=passages,
                  sentences=composition.sentences, route=route, notices=notices,
                  safety_routes=list(safety.routes), disclaimer=DISCLAIMER,
                  confidence=round(composition.confidence, 4))


_default: Bot | None = None
_default_lock = threading.Lock()


def default_bot() -> Bot:
    """The process-wide bot built from the environment's settings."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Bot()
        return _default
