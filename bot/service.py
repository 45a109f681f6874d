"""`Bot`: the object behind `bot.answer()` and `bot.retrieve()`.

It owns the embedder, the Chroma connection and the in-memory `PassageIndex`, and notices when `python -m
ingest` publishes a newer index (checked at most every `index_refresh_seconds`).
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.compose import Composition, compose_answer
from bot.conversation import clean_question, normalize_history, previous_user_messages
from bot.errors import BotError, IndexMissingError, IndexUnavailableError, InvalidQuestionError
from bot.evidence import Evidence, build_evidence, masked_question, own_text
from bot.follow_ups import FollowUpModel
from bot.index.embedding import (
    MULTILINGUAL_MODEL,
    Embedder,
    SentenceTransformerEmbedder,
    bundled_embedder,
    multilingual_embedder,
    set_multilingual_cache_size,
)
from bot.index.store import IndexStore
from bot.known_questions import KNOWN_QUESTIONS_FILE, KnownMatch, KnownQuestions
from bot.question import QuestionShape, joined_with, shape_of
from bot.retrieval import PassageIndex, hybrid_search
from bot.safety import SafetyCheck, SafetyGate, default_gate
from bot.safety.language import detect_language
from bot.safety.notices import DISCLAIMER, NO_COMBINATION_EVIDENCE, REFUSAL, SOURCES_IN_ENGLISH, localized
from bot.safety.patterns import speaks_of_combining
from bot.schema import Answer, Passage, Route
from bot.scoring import ANSWER_MODEL_FILE, AnswerModel
from bot.settings import Settings
from bot.text import source_descriptors, stem, terms, tokenize

log = logging.getLogger("bot")
PROGRESS_CHUNK = 128  # texts embedded between two updates of a progress bar

WARM_UP_QUESTIONS = ("What is baclofen?", "Can baclofen treat migraine headaches?",
                     "How many patients were randomized in the ALPADIR study, and what dose did they take?")
MAX_CHAINED_QUESTIONS = 3  # a follow-up's earlier question is read back through at most this many questions

if TYPE_CHECKING:
    from bot.generation.writer import AnswerWriter


class Bot:
    def __init__(self, settings: Settings | None = None, *, embedder: Embedder | None = None,
                 store: IndexStore | None = None, gate: SafetyGate | None = None,
                 answer_model: AnswerModel | None = None, follow_up_model: FollowUpModel | None = None):
        self.settings = settings or Settings.from_env()
        self.embedder = embedder or (
            SentenceTransformerEmbedder(self.settings.embed_model, self.settings.embed_batch_size)
            if self.settings.embed_model else bundled_embedder(self.settings.model_cache_dir / "onnx"))
        getattr(self.embedder, "set_threads", lambda threads: None)(self.settings.query_threads)
        self._store = store
        self._index: PassageIndex | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()
        self._query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.gate = gate or default_gate()
        # the gate's multilingual question vectors are cached (process-wide) within the same bound
        set_multilingual_cache_size(self.settings.query_cache_size)
        self._answer_model = answer_model
        self._follow_up_model = follow_up_model
        self._known: KnownQuestions | None = None
        self._known_multilingual: KnownQuestions | None = None
        self._known_lock = threading.Lock()
        self.writer: AnswerWriter | None = None  # the site's own model, with BOT_LLM_BASE_URL (imported only then)
        if self.settings.llm_base_url:
            from bot.generation.writer import AnswerWriter

            self.writer = AnswerWriter(self.settings, self.embed_many)

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

    def readiness(self) -> dict:
        """Whether this bot can answer now: the index is loaded and its store reachable (or, for a small index
        held in memory, answering from that copy while the store is away)."""
        try:
            index = self.index(force_check=True)
        except IndexMissingError as exc:
            return {"ready": False, "reason": str(exc)}
        except BotError as exc:
            return {"ready": False, "reason": f"the index store cannot be reached: {exc}"}
        try:
            self.store.live_tag()
            store = "reachable"
        except BotError:
            store = "unreachable; answering from the index copy in memory"
        return {"ready": True, "index": index.version.tag, "passages": len(index.passages), "store": store}

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
            self.answer(question, generate=False)  # never spends a request of the site's model
        self.forget_questions()

    def forget_questions(self) -> None:
        """Empty the question-vector caches (MiniLM here, multilingual-e5 process-wide): the next answer
        embeds its question afresh."""
        self._query_vectors.clear()
        multilingual_embedder().forget_queries()

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

    def embed_many(self, texts) -> np.ndarray:
        """Unit vectors for many texts with the bot's model, outside the question cache (for reports)."""
        return self.embedder.embed(list(texts))

    def embed_texts(self, texts: list[str]) -> list[np.ndarray]:
        """Vectors for several texts (a question and its parts) in one forward pass, through the cache."""
        keys = [t.strip().lower() for t in texts]
        missing = [t for t, k in zip(texts, keys, strict=True) if k not in self._query_vectors]
        if len(missing) == 1:
            self.embed_query(missing[0])
        elif missing:
            embed_few = getattr(self.embedder, "embed_few", self.embedder.embed)
            vectors = embed_few(missing)
            with self._cache_lock:
                for text, vector in zip(missing, vectors, strict=True):
                    self._query_vectors[text.strip().lower()] = vector
        return [v if (v := self._query_vectors.get(k)) is not None else self.embed_query(t)
                for t, k in zip(texts, keys, strict=True)]

    def _query(self, index: PassageIndex, question: str, earlier: str | None) -> Query:
        """`earlier`: the earlier question a follow-up stands on (its terms join the search, and the sources
        it names are meant unless this question names its own)."""
        correct = index.spelling.correct
        terms_now = [correct(t) for t in dict.fromkeys(terms(question))]
        terms_then = [correct(t) for t in dict.fromkeys(terms(earlier))] if earlier else []
        named = self._named_sources(index, question)
        from_context = not named[0] and bool(terms_then)
        if from_context and earlier:  # from_context implies an earlier question
            named = self._named_sources(index, earlier)
        return Query(question, list(dict.fromkeys(terms_now + terms_then)), named,
                     from_context=from_context and bool(named[0]))

    def _search(self, question: str, earlier: str | None, k: int, vector: np.ndarray | None = None,
                multilingual_vector: np.ndarray | None = None) -> tuple[list[Passage], np.ndarray, PassageIndex, Query]:
        vector = self.embed_query(question) if vector is None else vector
        for attempt in (1, 2):
            index = self.index(force_check=attempt == 2)
            query = self._query(index, question, earlier)
            try:
                passages = hybrid_search(index, vector, query.search_terms, k, self.settings.retrieve_candidates,
                                         self.settings.rrf_k, named=query.named[0],
                                         multilingual_vector=multilingual_vector)
                return passages, vector, index, query
            except IndexUnavailableError:
                raise
            except Exception:  # the version was replaced and deleted under us: reload once
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def retrieve(self, question: str, k: int = 5, history=None) -> list[Passage]:
        text = clean_question(question, self.settings.max_question_chars)
        return self._search(text, self.earlier_question(text, normalize_history(history)), k)[0]

    @property
    def answer_model(self) -> AnswerModel:
        if self._answer_model is None:
            self._answer_model = AnswerModel.load(Path(self.settings.answer_model_path or ANSWER_MODEL_FILE))
        return self._answer_model

    @property
    def known_questions(self) -> KnownQuestions:
        """The known questions (known_questions.py), embedded with the bot's model on first use: what the
        follow-up model reads (how close a question is to one asked on its own)."""
        with self._known_lock:  # answers run in several threads; embed the known questions once
            if self._known is None:
                model_name = self.settings.embed_model or ("bundled" if self.shares_gate_model else "")
                self._known = self._load_known().embed(self.embed_many, self.settings.model_cache_dir, model_name)
            return self._known

    @property
    def known_questions_multilingual(self) -> KnownQuestions:
        """The known questions embedded with multilingual-e5, on first use (about 1.5 minutes for 4,000
        questions, then read from the model cache): the neighbours that evidence reads. A question's nearest
        known question from another writer shares an answering sentence more often by these vectors than by
        MiniLM's, in English (0.90 against 0.85) and even more across languages (0.69 against 0.61)."""
        with self._known_lock:
            if self._known_multilingual is None:
                known = self._load_known()
                if len(known):
                    log.info("embedding %d known questions with %s (once; cached under %s)", len(known),
                             MULTILINGUAL_MODEL, self.settings.model_cache_dir)
                self._known_multilingual = known.embed(_with_progress(multilingual_embedder().embed_queries),
                                                       self.settings.model_cache_dir, MULTILINGUAL_MODEL)
            return self._known_multilingual

    def use_known_questions(self, path: Path) -> None:
        """Read the known questions from `path` from now on, forgetting those read already: a fit writes a
        new bank and then reads its labelled questions with it (before, the follow-up decision kept reading
        the bank loaded while the new one was being written, the previous fit's)."""
        with self._known_lock:
            self.settings = replace(self.settings, known_questions_path=str(path))
            self._known = self._known_multilingual = None

    def _load_known(self) -> KnownQuestions:
        path = self.settings.known_questions_path
        return KnownQuestions.empty() if path == "off" else KnownQuestions.load(Path(path or KNOWN_QUESTIONS_FILE))

    def known_match(self, shape: QuestionShape, question: str, e5_vector: np.ndarray | None,
                    vectors: list[np.ndarray], exclude: str | None) -> KnownMatch:
        """The question (and each of its parts) against the known questions: by multilingual-e5 vectors when
        the bot has them, so that a Spanish question finds the English ones, else by the bot's own."""
        if e5_vector is None or not self.settings.multilingual:
            known = self.known_questions
            return KnownMatch(known, known.similarities(vectors[0], exclude), exclude)
        known = self.known_questions_multilingual
        embed = multilingual_embedder().embed_query
        whole = e5_vector if shape.scoring_text == question else embed(shape.scoring_text)
        parts = tuple(known.similarities(embed(part), exclude) for part in shape.parts) \
            if len(shape.parts) > 1 else ()
        return KnownMatch(known, known.similarities(whole, exclude), exclude, parts)

    def _with_known_passages(self, index: PassageIndex, passages: list[Passage], known: KnownQuestions,
                             similarities: np.ndarray) -> list[Passage]:
        """The retrieved passages, plus those holding the answers of the closest known questions."""
        keys = known.pointed_sentences(similarities, self.settings.known_passage_min,
                                       self.settings.known_passage_questions)
        have = {p.id for p in passages}
        extra = [p for p in index.passages_of_sentences(keys) if p.id not in have]
        return passages + extra

    @property
    def shares_gate_model(self) -> bool:
        """True when the bot embeds questions with the same MiniLM the safety classifier reads."""
        return not self.settings.embed_model and isinstance(self.embedder, SentenceTransformerEmbedder)

    def multilingual_vector(self, text: str, safety: SafetyCheck | None = None) -> np.ndarray | None:
        """The question's multilingual embedding: the safety gate's when it made one, else computed here
        (only when the index has multilingual vectors to compare it with)."""
        if safety is not None and safety.vector is not None:
            return safety.vector
        if not self.settings.multilingual:
            return None
        return multilingual_embedder().embed_query(text)

    @property
    def follow_up_model(self) -> FollowUpModel:
        if self._follow_up_model is None:
            self._follow_up_model = FollowUpModel.load()
        return self._follow_up_model

    def earlier_question(self, question: str, history, exclude: str | None = None) -> str | None:
        """The visitor's previous question when this one stands on it ("how many were in it?"), None when it
        stands alone (follow_ups.py). `history` is normalized. The previous question is read as the bot read
        it: "what dose?" after "tell me about the Garbutt trial" is "what dose? (tell me about the Garbutt
        trial)", so a third question ("how many finished?") still knows which trial it is about. `exclude`: a
        labelled set whose known questions are left out (a fit reads each question as an unseen one)."""
        previous = previous_user_messages(history) if history else []
        if not previous or not self._stands_on_earlier(question, exclude):
            return None
        return self._with_sources_last_named(self._as_read(previous[-MAX_CHAINED_QUESTIONS:], exclude), history)

    def _with_sources_last_named(self, earlier: str, history) -> str:
        """The earlier question, and when it names no source, the names the bot's last answer gave: "what was
        the first study on craving?" answered "A 2000 pilot study by Addolorato..." makes "how many finished
        it?" about Addolorato 2000. The latest of the last three replies that names a source counts, and
        only its words that name one are added (names_in_text)."""
        index = self.index()
        if self.names_a_source(index, earlier):
            return earlier
        replies = [t["content"] for t in history if t["role"] == "assistant"][-MAX_CHAINED_QUESTIONS:]
        names = next((found for reply in reversed(replies) if (found := self.names_in_text(index, reply))), [])
        return joined_with(earlier, " ".join(names)) if names else earlier

    def names_in_text(self, index: PassageIndex, text: str) -> list[str]:
        """The words of `text` that name a source ("addolorato", "2000"), lowercased, first use of each."""
        naming = self._named_sources(index, text)[1]
        correct = index.spelling.correct
        return list(dict.fromkeys(t for t in tokenize(text) if correct(stem(t)) in naming))

    def _stands_on_earlier(self, question: str, exclude: str | None = None) -> bool:
        return self.follow_up_model.stands_on_earlier(question, self.known_closeness(question, exclude))

    def _as_read(self, questions: list[str], exclude: str | None = None) -> str:
        """The last of `questions` (oldest first) joined with the one before it when it stood on it, and so on
        back; a question that names its own source stands alone, as in question_texts()."""
        last = questions[-1].strip()
        if len(questions) == 1 or self.names_a_source(self.index(), last) or not self._stands_on_earlier(last, exclude):
            return last
        return joined_with(last, self._as_read(questions[:-1], exclude))

    def known_closeness(self, question: str, exclude: str | None = None) -> float:
        """Similarity of a question to the nearest known standalone question (those of set `exclude` left out:
        a labelled question is in the bank itself, and would read as a complete question it has already seen)."""
        known = self.known_questions
        return known.standalone_best(known.similarities(self.embed_query(question), exclude)) if len(known) else 0.0

    @staticmethod
    def _named_sources(index: PassageIndex, text: str) -> tuple[frozenset[str], frozenset[str]]:
        """(the documents a text singles out, the terms naming them), spelling corrected against the corpus."""
        correct = index.spelling.correct
        return index.named_sources([correct(t) for t in dict.fromkeys(terms(text))],
                                   [correct(t) for t in source_descriptors(text)])

    def names_a_source(self, index: PassageIndex, question: str) -> bool:
        return bool(self._named_sources(index, question)[0])

    def question_texts(self, question: str, earlier: str | None = None) -> tuple[QuestionShape, list[str], str | None]:
        """The question's shape and the texts the composer embeds for it: the scoring text (a follow-up's
        with the earlier question it stands on, unless it names its own source), its parts when there are
        several, and (last) the question reduced to words the sources know, when that differs."""
        index = self.index()
        subject = earlier if earlier and not self.names_a_source(index, question) else None
        shape = replace(shape_of(question, subject), earlier=earlier)
        masked = masked_question(index, shape.scoring_text)
        own = own_text(shape)
        texts = [shape.scoring_text, *(shape.parts if len(shape.parts) > 1 else ()), *([own] if own else []),
                 *([masked] if masked else [])]
        return shape, texts, masked

    def evidence(self, question: str, history=None, safety: SafetyCheck | None = None,
                 passage_ids: list[str] | None = None,
                 prepared: tuple[QuestionShape, list[str], str | None] | None = None,
                 known_exclude: str | None = None) -> tuple[Evidence, list[Passage]]:
        """Everything the composer needs for one question: the question's signals and the candidate sentences
        (from the retrieved passages, or from `passage_ids` when a caller retrieved them already). The question,
        its parts and its words-the-sources-know are embedded in one batch (`prepared`: question_texts()'s
        result, when the caller has it already). `known_exclude`: a labelled set whose known questions are left out
        (the fit scores each question without its own set's)."""
        shape, texts, masked = prepared or self.question_texts(
            question, self.earlier_question(question, normalize_history(history), known_exclude))
        earlier = shape.earlier
        vectors = self.embed_texts(texts)
        masked_vector = vectors.pop() if masked else None
        own_vector = vectors.pop() if own_text(shape) else None
        e5_vector = self.multilingual_vector(question, safety)
        if passage_ids is None:
            language = safety.language if safety is not None else detect_language(question)
            passages, _, index, query = self._search(
                shape.scoring_text, earlier, self.settings.answer_passages, vectors[0],
                multilingual_vector=e5_vector if language != "en" else None)
        else:
            index = self.index()
            query = self._query(index, shape.scoring_text, earlier)
            passages = [index.passages[index.position[pid]] for pid in passage_ids if pid in index.position]
        known = self.known_match(shape, question, e5_vector, vectors, known_exclude)
        if passage_ids is None and len(known.questions):
            passages = self._with_known_passages(index, passages, known.questions, known.whole)
        evidence = build_evidence(index, shape, query.named[0], query.search_terms, passages, vectors, e5_vector,
                                  masked_vector, known=known, own_vector=own_vector,
                                  compared=index.compared_sources(query.named[1]))
        return evidence, passages

    def prefetch(self, question) -> None:
        """Embed a question's multilingual vector ahead of `answer` (which takes it): a server calls this
        before the answer waits for a worker, so that questions asked at the same moment share model calls
        (bot/index/batching.py). Does nothing for a question `answer` would reject."""
        try:
            text = clean_question(question, self.settings.max_question_chars)
        except InvalidQuestionError:
            return
        if self.gate.reads_multilingual_vectors:
            multilingual_embedder().prefetch(text)

    def answer(self, question, history=None, generate: bool = True) -> Answer:
        """A grounded, cited Answer (or a refusal, or safety notices first) for one question. With a model
        configured (BOT_LLM_*) and `generate`, its verified rewrite of the quotes, or the quotes if it fails."""
        answer = self._answer(question, history)
        if generate and self.writer is not None:
            return self.writer.write(str(question), answer)
        return answer

    def answer_from_passages(self, question, history, passage_ids: list[str]) -> Answer:
        """The same, composed from passages the caller retrieved (the LangChain chain's compose step)."""
        return self._answer(question, history, passage_ids)

    def _answer(self, question, history, passage_ids: list[str] | None = None) -> Answer:
        try:
            text = clean_question(question, self.settings.max_question_chars)
            history = normalize_history(history)
        except InvalidQuestionError as exc:
            return Answer(text=str(exc), refused=True, route=Route.INVALID)
        prepared = self.question_texts(text, self.earlier_question(text, history))
        minilm_vector = None
        if self.shares_gate_model:  # one forward pass for the message and every text the composer needs
            minilm_vector = self.embed_texts([text, *prepared[1]])[0]
        safety = self.gate.check(text, minilm_vector=minilm_vector)
        evidence, passages = self.evidence(text, history, safety, passage_ids, prepared)
        composition = compose_answer(evidence, self.answer_model.for_language(safety.language))
        return assemble(text, safety, composition, passages)


@dataclass(frozen=True)
class Query:
    """A question ready to search with: which terms to match, which sources it is about."""

    text: str
    search_terms: list[str]  # BM25 terms, including the earlier question's for a follow-up
    named: tuple[frozenset[str], frozenset[str]]  # (doc ids the conversation singles out, the terms naming them)
    from_context: bool = False  # the sources were named by an earlier question, not this one


def assemble(question: str, safety: SafetyCheck, composition: Composition | None, passages: list[Passage]) -> Answer:
    """The Answer a visitor sees: notices first, then the quoted spans or a refusal, in the visitor's language."""
    language = safety.language
    notices = list(safety.notices)
    interaction = "interaction" in safety.routes
    if interaction and composition and not speaks_of_combining(question, composition.text):
        composition = None  # sources that never speak of combining drugs cannot answer "can I mix them?"
    route = Route(safety.route)
    common: dict[str, Any] = dict(passages=passages, route=route, notices=notices, safety_routes=list(safety.routes),
                                  language=language)
    if composition is None or not composition.answered:
        body = "" if safety.urgent else localized(NO_COMBINATION_EVIDENCE if interaction else REFUSAL, language)
        text = "\n\n".join(notices + ([body] if body else []))
        return Answer(text=text, refused=True, disclaimer="" if safety.urgent else localized(DISCLAIMER, language),
                      confidence=round(composition.confidence, 4) if composition else 0.0,
                      **{**common, "route": route if route is not Route.ANSWER else Route.REFUSED})
    lead = localized(SOURCES_IN_ENGLISH, language)
    text = "\n\n".join(notices + ([lead] if lead else []) + [composition.text])
    return Answer(text=text, citations=composition.citations, refused=False, sentences=composition.sentences,
                  disclaimer=localized(DISCLAIMER, language), confidence=round(composition.confidence, 4),
                  **common)


_default: Bot | None = None
_default_lock = threading.Lock()


def default_bot() -> Bot:
    """The process-wide bot built from the environment's settings."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Bot()
        return _default


def _with_progress(embed: Callable[[list[str]], np.ndarray]) -> Callable[[list[str]], np.ndarray]:
    """`embed`, run in chunks behind a progress bar (for work that takes minutes)."""
    def embed_all(texts: list[str]) -> np.ndarray:
        from tqdm import tqdm

        with tqdm(total=len(texts), desc="Embedding known questions", unit="question") as bar:
            rows = []
            for start in range(0, len(texts), PROGRESS_CHUNK):
                rows.append(embed(texts[start:start + PROGRESS_CHUNK]))
                bar.update(len(rows[-1]))
        return np.vstack(rows)
    return embed_all
