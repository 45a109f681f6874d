"""Hybrid retrieval: dense search in Chroma plus BM25 in memory, fused by reciprocal rank fusion.

`PassageIndex` is the bot's read-only view of one published index version: passage records and a BM25
matrix in memory (built once when the version is loaded), vectors left in Chroma. Sentence vectors are
fetched from Chroma for the passages an answer is built from and cached, so a warm query embeds only the
question and makes one Chroma query.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import replace
from functools import cached_property

import numpy as np

from bot.features import Candidates
from bot.index.records import parse_sentence_id, read_passage_metadata, sentence_id, sentence_ids
from bot.index.store import IndexStore, IndexVersion
from bot.known_questions import sentence_key
from bot.lexical import BM25Index, SpellingCorrector
from bot.schema import Passage, Source
from bot.text import name_terms, terms

NAMED_EXTRA_PASSAGES = 6
SOURCE_FIELDS = ("title", "url", "kind", "authors", "journal", "year", "doi")


class PassageIndex:
    def __init__(self, store: IndexStore, version: IndexVersion, memory_vector_limit: int = 50_000,
                 sentence_cache_size: int = 50_000):
        self.store = store
        self.version = version
        self.sources: dict[str, Source] = {}
        self.passages: list[Passage] = []
        self._sentence_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = sentence_cache_size
        self._lock = threading.Lock()
        for ids, texts, metadatas, _ in store.read_all(version.passages):
            self.passages.extend(self._passage(pid, text, meta)
                                 for pid, text, meta in zip(ids, texts, metadatas, strict=True))
        self.position = {p.id: i for i, p in enumerate(self.passages)}
        self.bm25 = BM25Index(terms(f"{context_text(p)} {p.text}") for p in self.passages)
        self._sentence_terms: dict[str, list[frozenset[str]]] = {}
        self._context_terms: dict[str, frozenset[str]] = {}
        self._memory: SentenceMatrix | None = None
        self._multilingual: SentenceMatrix | None = None
        if int(version.info.get("sentences", 0)) <= memory_vector_limit:
            self._memory = SentenceMatrix.load(store, version.sentences, self.passages)
            if version.multilingual is not None:
                self._multilingual = SentenceMatrix.load(store, version.multilingual, self.passages)
        self._names_of: dict[str, frozenset[str]] = {}
        self._named_in, self._labelled_in = self._source_names(limit=2)
        self.spelling = SpellingCorrector(self.bm25.vocabulary)

    def _passage(self, pid: str, text: str, meta: dict) -> Passage:
        record = read_passage_metadata(meta)
        source = self.sources.get(record.doc_id)
        if source is None:
            fields = record.doc_fields
            source = self.sources[record.doc_id] = Source(record.doc_id,
                                                          **{k: fields[k] for k in SOURCE_FIELDS if k in fields})
        return Passage(pid, source, record.heading, text, record.start, record.end, record.sentences)

    def __len__(self) -> int:
        return len(self.passages)

    @cached_property
    def _home_of_sentence(self) -> dict[str, int]:
        """Sentence (sentence_key form) -> position of its passage; built on first use (known questions)."""
        return {sentence_key(p.sentence_text(i)): position for position, p in enumerate(self.passages)
                for i in range(len(p.sentence_spans))}

    def passages_of_sentences(self, keys: list[str]) -> list[Passage]:
        """The passages holding these sentences (sentence_key form), once each, in the order given."""
        positions = dict.fromkeys(p for key in keys if (p := self._home_of_sentence.get(key)) is not None)
        return [self.passages[p] for p in positions]

    @property
    def self_contained(self) -> bool:
        """True when every vector is in memory, so answers need no round trip to Chroma."""
        return self._memory is not None

    def dense(self, query_vector: np.ndarray, n: int) -> list[tuple[int, float]]:
        """(position, cosine similarity) of the n nearest passages, from Chroma."""
        n = min(n, len(self.passages))
        if n <= 0:
            return []
        result = self.store.query(self.version.passages, query_vector, n)
        return [(self.position[pid], 1.0 - float(d))
                for pid, d in zip(result["ids"][0], result["distances"][0], strict=True) if pid in self.position]

    def dense_sentences(self, query_vector: np.ndarray, n: int) -> list[tuple[int, float]]:
        """Passages ranked by their best-matching sentence among the n nearest sentences: exact in memory for
        a small index, Chroma's HNSW search otherwise."""
        n = min(n, int(self.version.info.get("sentences", 0)) or n)
        if n <= 0:
            return []
        if self._memory is not None:
            return self._memory.nearest_passages(query_vector, n)
        result = self.store.query(self.version.sentences, query_vector, n)
        best: dict[int, float] = {}
        for sid, distance in zip(result["ids"][0], result["distances"][0], strict=True):
            position = self.position.get(parse_sentence_id(sid)[0])
            if position is not None and position not in best:
                best[position] = 1.0 - float(distance)
        return list(best.items())

    @property
    def multilingual(self) -> bool:
        """True when sentences also have multilingual vectors (questions in other languages can be answered)."""
        return self._multilingual is not None

    def dense_multilingual(self, query_vector: np.ndarray, n: int) -> list[tuple[int, float]]:
        """Passages ranked by their best sentence under the multilingual model (empty without its vectors)."""
        return self._multilingual.nearest_passages(query_vector, n) if self._multilingual is not None else []

    def lexical(self, query_terms: list[str], n: int) -> list[tuple[int, float]]:
        return self.bm25.search(query_terms, n)

    def _source_names(self, limit: int) -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
        """Two maps, term -> the documents it can name, keeping terms found in at most `limit` documents
        anywhere (so "opioid", which many documents discuss, names nothing):
        - names: name-like label words (authors, journal, year, capitalized words and acronyms of titles and
          headings: "baclad", "garbutt", "lancet");
        - labels: any word of a title or heading ("cirrhosis"), which names a source only when the question
          puts it right before "study", "trial", "report"... ("the cirrhosis trial")."""
        headings: dict[str, set[str]] = {}
        for passage in self.passages:
            headings.setdefault(passage.source.doc_id, set()).add(passage.heading)
        label_docs: dict[str, set[str]] = {}
        name_docs: dict[str, set[str]] = {}
        for source in self.sources.values():
            label = source_label(source) + " " + " ".join(headings.get(source.doc_id, ()))
            for term in set(terms(label)):
                label_docs.setdefault(term, set()).add(source.doc_id)
            self._names_of[source.doc_id] = frozenset(name_like_terms(source, headings.get(source.doc_id, ())))
            for term in self._names_of[source.doc_id]:
                name_docs.setdefault(term, set()).add(source.doc_id)
        def body_docs(term: str) -> set[str]:  # documents whose passages (or context) contain the term
            column = self.bm25.vocabulary.get(term)
            if column is None:
                return set()
            rows = self.bm25.matrix.indices[self.bm25.matrix.indptr[column]:self.bm25.matrix.indptr[column + 1]]
            return {self.passages[row].source.doc_id for row in rows[:50_000]}

        def specific(table):
            return {t: frozenset(d) for t, d in table.items() if len(d) <= limit and len(d | body_docs(t)) <= limit}

        return specific(name_docs), specific(label_docs)

    def context_terms(self, passage: Passage) -> frozenset[str]:
        """Terms of the passage's section heading and the name-like terms of its source, computed once."""
        cached = self._context_terms.get(passage.id)
        if cached is None:
            cached = frozenset(terms(passage.heading)) | self._names_of.get(passage.source.doc_id, frozenset())
            self._context_terms[passage.id] = cached
        return cached

    def named_sources(self, key_terms, descriptors=()) -> tuple[frozenset[str], frozenset[str]]:
        """Documents a question singles out ("in BACLAD", "Garbutt's trial", "the cirrhosis trial"), and the
        terms that name them; `descriptors` are the words the question puts before "study", "trial", ..."""
        naming = {t for t in key_terms if t in self._named_in} | {t for t in descriptors if t in self._labelled_in}
        docs = [self.documents_named_by(t) for t in naming]
        return frozenset().union(*docs), frozenset(naming)

    def documents_named_by(self, term: str) -> frozenset[str]:
        """The documents a naming term names (a name, or a title word put before "study", "trial"...)."""
        return self._named_in.get(term) or self._labelled_in.get(term) or frozenset()

    def compared_sources(self, naming: frozenset[str]) -> frozenset[str]:
        """The documents a question puts side by side: those its naming terms each name alone, when there are
        several ("ALPADIR or Bacloville", "the cirrhosis trial vs BACLAD"). An ambiguous name compares nothing
        ("the Addolorato study" names two studies, "Addolorato 2000" one)."""
        alone = {next(iter(docs)) for t in naming if len(docs := self.documents_named_by(t)) == 1}
        return frozenset(alone) if len(alone) >= 2 else frozenset()


    def sentence_terms(self, passage: Passage) -> list[frozenset[str]]:
        """The terms of each sentence of a passage, computed once."""
        cached = self._sentence_terms.get(passage.id)
        if cached is None:
            cached = [frozenset(terms(passage.sentence_text(i))) for i in range(len(passage.sentence_spans))]
            self._sentence_terms[passage.id] = cached
        return cached

    def candidates(self, passages: list[Passage], query_terms: list[str]) -> Candidates:
        """Every sentence of the passages with its vector, terms and context terms, ready to score."""
        vectors = self.sentence_vectors(passages)
        kept = [p for p in passages if p.id in vectors]
        rows = [(position, i) for position, p in enumerate(kept) for i in range(len(p.sentence_spans))]
        matrix = np.vstack([vectors[p.id] for p in kept]) if kept else np.zeros((0, 384), dtype=np.float32)
        sentence_terms = [self.sentence_terms(p) for p in kept]
        context = [self.context_terms(p) for p in kept]
        bm25 = self.bm25.scores(query_terms)
        by_passage = [float(bm25[self.position[p.id]]) for p in kept]
        top = max(by_passage, default=0.0) or 1.0
        e5 = np.vstack([self._multilingual.of_passage(self.position[p.id]) for p in kept]) \
            if self._multilingual is not None and kept else None
        return Candidates(kept, rows, matrix, [sentence_terms[p][i] for p, i in rows], [context[p] for p, _ in rows],
                          e5_vectors=e5, bm25=[b / top for b in by_passage])

    def sentence_vectors(self, passages: list[Passage]) -> dict[str, np.ndarray]:
        """Vectors of every sentence of the given passages, from memory, the cache or one Chroma get."""
        if self._memory is not None:
            return {p.id: self._memory.of_passage(self.position[p.id]) for p in passages}
        with self._lock:
            missing = [p for p in passages if p.id not in self._sentence_cache]
        if missing:
            ids = [sid for p in missing for sid in sentence_ids(p.id, len(p.sentence_spans))]
            got = self.store.get(self.version.sentences, ids, include=("embeddings",))
            by_id = dict(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32), strict=True))
            with self._lock:
                for p in missing:
                    rows = [by_id.get(sid) for sid in sentence_ids(p.id, len(p.sentence_spans))]
                    found = [r for r in rows if r is not None]
                    if len(found) == len(rows) and rows:
                        self._sentence_cache[p.id] = np.vstack(found)
                while len(self._sentence_cache) > self._cache_size:
                    self._sentence_cache.popitem(last=False)
        with self._lock:
            return {p.id: self._sentence_cache[p.id] for p in passages if p.id in self._sentence_cache}


class SentenceMatrix:
    """Every sentence vector of a small index in one matrix, rows grouped by passage, for exact search."""

    def __init__(self, matrix: np.ndarray, row_passage: np.ndarray, starts: np.ndarray):
        self.matrix, self.row_passage, self.starts = matrix, row_passage, starts

    @classmethod
    def load(cls, store: IndexStore, collection, passages: list[Passage]) -> SentenceMatrix:
        vectors: dict[str, np.ndarray] = {}
        for ids, _, _, embeddings in store.read_all(collection, include=("embeddings",)):
            vectors.update(zip(ids, np.asarray(embeddings, dtype=np.float32), strict=True))
        rows, row_passage, starts = [], [], [0]
        for position, passage in enumerate(passages):
            for i in range(len(passage.sentence_spans)):
                rows.append(vectors[sentence_id(passage.id, i)])
                row_passage.append(position)
            starts.append(len(rows))
        dim = len(next(iter(vectors.values()))) if vectors else 384
        matrix = np.vstack(rows) if rows else np.zeros((0, dim), dtype=np.float32)
        return cls(matrix, np.asarray(row_passage, dtype=np.int64), np.asarray(starts, dtype=np.int64))

    def of_passage(self, position: int) -> np.ndarray:
        return self.matrix[self.starts[position]:self.starts[position + 1]]

    def nearest_passages(self, query_vector: np.ndarray, n: int) -> list[tuple[int, float]]:
        scores = self.matrix @ query_vector
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        best: dict[int, float] = {}
        for row in top[np.argsort(-scores[top], kind="stable")]:
            best.setdefault(int(self.row_passage[row]), float(scores[row]))
        return list(best.items())


def source_label(source: Source) -> str:
    """The words that name a document: title, authors, journal, year."""
    return f"{source.title} {source.authors} {source.journal} {source.year or ''}"


def name_like_terms(source: Source, headings=()) -> set[str]:
    """Terms that read as names: authors, journal, publisher, year, and the capitalized words or acronyms
    of the title and headings (not their first word, and not in a title written in Title Case); never an
    everyday word ("de" of de Beaurepaire, "national" of the National Library of Medicine)."""
    found = set(name_terms(f"{source.authors} {source.journal} {source.year or ''}"))
    for text in (source.title, *headings):
        for part in re.split(r"[:>]", text):
            words = re.findall(r"[A-Za-z][A-Za-z-]*", part)
            long_words = [w for w in words if len(w) > 3]
            if long_words and sum(w[0].isupper() for w in long_words) / len(long_words) >= 0.6:
                words = [w for w in words if w.isupper()]  # Title Case: only acronyms stand out
            for word in words[1:] if words and not words[0].isupper() else words:
                if word.isupper() and len(word) >= 3 or word[0].isupper():
                    found.update(name_terms(word))
    return found


def context_text(passage: Passage) -> str:
    """What a passage is about besides its own words: the document's label and the section heading."""
    return f"{source_label(passage.source)} {passage.heading}"


def reciprocal_rank_fusion(rankings: list[list[int]], k: int = 60) -> list[tuple[int, float]]:
    """Fuse ranked lists of positions: score = sum over lists of 1 / (k + rank), rank from 1."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, position in enumerate(ranking, start=1):
            scores[position] = scores.get(position, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def hybrid_search(index: PassageIndex, query_vector: np.ndarray, query_terms: list[str], k: int,
                  candidates: int = 20, rrf_k: int = 60, named: frozenset[str] = frozenset(),
                  multilingual_vector: np.ndarray | None = None) -> list[Passage]:
    """Fuse a dense ranking (each passage by its best-matching sentence vector) with BM25 by RRF; when the
    question names sources, their passages join the fused top k (they are what it asks about). With a
    `multilingual_vector` (a question not in English) the dense ranking is the multilingual model's."""
    if multilingual_vector is not None and index.multilingual:
        ranked = index.dense_multilingual(multilingual_vector, 3 * candidates)
    else:
        ranked = index.dense_sentences(query_vector, 3 * candidates)
    dense = [pos for pos, _ in ranked[:candidates]]
    lexical = [pos for pos, _ in index.lexical(query_terms, candidates)]
    fused = reciprocal_rank_fusion([dense, lexical], rrf_k)
    chosen = fused[:k]
    if named:
        taken = {pos for pos, _ in chosen}
        chosen += [(pos, score) for pos, score in fused[k:] if index.passages[pos].source.doc_id in named
                   and pos not in taken][:NAMED_EXTRA_PASSAGES]
    return [replace(index.passages[pos], score=score) for pos, score in chosen]
