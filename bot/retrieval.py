"""Hybrid retrieval: dense search in Chroma plus BM25 in memory, fused by reciprocal rank fusion.

`PassageIndex` is the bot's read-only view of one published index version: passage records and a BM25
matrix in memory (built once when the version is loaded), vectors left in Chroma. Sentence vectors are
fetched from Chroma for the passages an answer is built from and cached, so a warm query embeds only the
question and makes one Chroma query.
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import replace
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from bot.lexical import BM25Index, SpellingCorrector
from bot.schema import Passage, Source
from bot.text import terms
from ingest.store import IndexStore, IndexVersion

NAMED_EXTRA_PASSAGES = 6
SOURCE_FIELDS = ("title", "url", "kind", "authors", "journal", "year", "doi")


class PassageIndex:
    def __init__(self, store: IndexStore, version: IndexVersion, sentence_cache_size: int = 50_000):
        self.store = store
        self.version = version
        self.sources: dict[str, Source] = {}
        self.passages: list[Passage] = []
        self._sentence_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = sentence_cache_size
        self._lock = threading.Lock()
        documents = []
        self._passage_terms: list[set[str]] = []
        for ids, texts, metadatas, _ in store.read_all(version.passages):
            for pid, text, meta in zip(ids, texts, metadatas):
                self.passages.append(self._passage(pid, text, meta))
                documents.append(terms(f"{context_text(self.passages[-1])} {text}"))
                self._passage_terms.append(set(terms(text)))
        self.position = {p.id: i for i, p in enumerate(self.passages)}
        self.bm25 = BM25Index(documents)
        self._named_in = self._source_names(limit=2)
        self.spelling = SpellingCorrector(self.bm25.vocabulary)

    def _passage(self, pid: str, text: str, meta: dict) -> Passage:
        doc_id = meta["doc_id"]
        source = self.sources.get(doc_id)
        if source is None:
            source = self.sources[doc_id] = Source(doc_id, **{k: meta[k] for k in SOURCE_FIELDS if k in meta})
        spans = tuple(tuple(s) for s in json.loads(meta.get("sentences", "[]")))
        return Passage(pid, source, meta.get("heading", ""), text, int(meta["start"]), int(meta["end"]), spans)

    def __len__(self) -> int:
        return len(self.passages)

    def dense(self, query_vector: np.ndarray, n: int) -> list[tuple[int, float]]:
        """(position, cosine similarity) of the n nearest passages, from Chroma."""
        n = min(n, len(self.passages))
        if n <= 0:
            return []
        result = self.store._call(self.version.passages.query, query_embeddings=[query_vector], n_results=n,
                                  include=["distances"])
        return [(self.position[pid], 1.0 - float(d)) for pid, d in zip(result["ids"][0], result["distances"][0])
                if pid in self.position]

    def dense_sentences(self, query_vector: np.ndarray, n: int) -> list[tuple[int, float]]:
        """Passages ranked by their best-matching sentence among the n nearest sentences, from Chroma."""
        n = min(n, int(self.version.info.get("sentences", 0)) or n)
        if n <= 0:
            return []
        result = self.store._call(self.version.sentences.query, query_embeddings=[query_vector], n_results=n,
                                  include=["distances"])
        best: dict[int, float] = {}
        for sid, distance in zip(result["ids"][0], result["distances"][0]):
            position = self.position.get(sid.rsplit(".", 1)[0])
            if position is not None and position not in best:
                best[position] = 1.0 - float(distance)
        return list(best.items())

    def lexical(self, query_terms: list[str], n: int) -> list[tuple[int, float]]:
        return self.bm25.search(query_terms, n)

    def _source_names(self, limit: int) -> dict[str, frozenset[str]]:
        """term -> the documents it names: terms of a title/authors/journal/year that occur in at most `limit`
        documents anywhere ("baclad", "garbutt", "lancet"; not "opioid", which many documents discuss)."""
        label_docs: dict[str, set[str]] = {}
        for source in self.sources.values():
            for term in set(terms(source_label(source))):
                label_docs.setdefault(term, set()).add(source.doc_id)
        body_docs: dict[str, set[str]] = {t: set() for t in label_docs}
        for passage, passage_terms in zip(self.passages, self._passage_terms):
            for term in passage_terms & body_docs.keys():
                body_docs[term].add(passage.source.doc_id)
        return {t: frozenset(docs) for t, docs in label_docs.items()
                if len(docs) <= limit and len(body_docs[t] | docs) <= limit}

    def named_sources(self, key_terms) -> tuple[frozenset[str], frozenset[str]]:
        """Documents a question singles out by name ("in BACLAD", "Garbutt's trial", "the 2000 pilot study"),
        and the key terms that name them."""
        naming = frozenset(t for t in key_terms if t in self._named_in)
        return frozenset().union(*(self._named_in[t] for t in naming)), naming

    def passages_of(self, doc_ids: frozenset[str], limit: int) -> list[Passage]:
        return [p for p in self.passages if p.source.doc_id in doc_ids][:limit]

    def sentence_vectors(self, passages: list[Passage]) -> dict[str, np.ndarray]:
        """Vectors of every sentence of the given passages, from the cache or one Chroma get."""
        with self._lock:
            missing = [p for p in passages if p.id not in self._sentence_cache]
        if missing:
            ids = [f"{p.id}.{i}" for p in missing for i in range(len(p.sentence_spans))]
            got = self.store._call(self.version.sentences.get, ids=ids, include=["embeddings"])
            by_id = dict(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32)))
            with self._lock:
                for p in missing:
                    rows = [by_id.get(f"{p.id}.{i}") for i in range(len(p.sentence_spans))]
                    if all(r is not None for r in rows) and rows:
                        self._sentence_cache[p.id] = np.vstack(rows)
                while len(self._sentence_cache) > self._cache_size:
                    self._sentence_cache.popitem(last=False)
        with self._lock:
            return {p.id: self._sentence_cache[p.id] for p in passages if p.id in self._sentence_cache}


def source_label(source: Source) -> str:
    """The words that name a document: title, authors, journal, year."""
    return f"{source.title} {source.authors} {source.journal} {source.year or ''}"


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
                  candidates: int = 20, rrf_k: int = 60, named: frozenset[str] = frozenset()) -> list[Passage]:
    """Fuse a dense ranking (each passage by its best-matching sentence vector) with BM25 by RRF; when the
    question names sources, their passages join the fused top k (they are what it asks about)."""
    dense = [pos for pos, _ in index.dense_sentences(query_vector, 3 * candidates)[:candidates]]
    lexical = [pos for pos, _ in index.lexical(query_terms, candidates)]
    fused = reciprocal_rank_fusion([dense, lexical], rrf_k)
    chosen = fused[:k]
    if named:
        taken = {pos for pos, _ in chosen}
        chosen += [(pos, score) for pos, score in fused[k:] if index.passages[pos].source.doc_id in named
                   and pos not in taken][:NAMED_EXTRA_PASSAGES]
    return [replace(index.passages[pos], score=score) for pos, score in chosen]


def passage_to_document(passage: Passage) -> Document:
    source = passage.source
    return Document(
        page_content=passage.text,
        metadata={"id": passage.id, "doc_id": source.doc_id, "title": source.title, "url": source.url,
                  "heading": passage.heading, "start": passage.start, "end": passage.end, "score": passage.score},
    )


class HybridRetriever(BaseRetriever):
    """The bot's retrieval as a LangChain retriever: `HybridRetriever(bot=Bot(...), k=5).invoke("...")`."""

    bot: Any
    k: int = 5

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [passage_to_document(p) for p in self.bot.retrieve(query, self.k)]
