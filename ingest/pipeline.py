"""Ingest a corpus directory into the Chroma index: incremental, atomic, and honest about skipped files.

- A file whose bytes (sha256) and the splitting/model settings are unchanged is not read again: its
  passages and vectors are copied from the live version. An unchanged corpus publishes nothing at all.
- A bad file is skipped with its reason; if an earlier version of it was ingested, that version is kept.
- Everything is written into a new index version and published in one step at the end (see
  `bot.index.store`); record ids and metadata follow `bot.index.records`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.index import records
from bot.index.documents import CorpusDocument, CorpusFileError, file_sha256, find_corpus_files, load_document
from bot.index.embedding import MULTILINGUAL_MODEL, Embedder, SentenceTransformerEmbedder, multilingual_embedder
from bot.index.splitting import Chunk, split_document
from bot.index.store import IndexStore, IndexVersion
from bot.settings import Settings

SPLITTER_VERSION = 2
VECTOR_SCHEME = "passage:title+heading+text;sentence:mean(title+text,text)"
EMBED_STEP = 64  # texts per progress-bar step


@dataclass
class IngestReport:
    files: int = 0
    embedded_docs: list[str] = field(default_factory=list)
    reused_docs: list[str] = field(default_factory=list)
    removed_docs: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    kept_previous: list[str] = field(default_factory=list)  # bad files whose last good version stays
    passages: int = 0
    sentences: int = 0
    embedded_texts: int = 0
    embed_seconds: float = 0.0  # spent in the model (including loading it), for throughput
    seconds: float = 0.0
    published: str | None = None  # the new version tag, None when nothing changed

    def as_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)


@dataclass
class _Plan:
    reuse: dict[str, dict]  # relative path -> previous file entry
    load: dict[str, CorpusDocument]  # relative path -> freshly parsed document


def ingest_corpus(settings: Settings, corpus_dir: Path | None = None, rebuild: bool = False,
                  embedder: Embedder | None = None, store: IndexStore | None = None,
                  progress: bool = True) -> IngestReport:
    started = time.perf_counter()
    corpus_dir = Path(corpus_dir or settings.corpus_dir)
    store = store or IndexStore(settings)
    live = store.live()
    report = IngestReport()
    plan = _plan(settings, corpus_dir, live, rebuild, report)
    stale = live is None or plan.load or set(live.files) - set(plan.reuse)
    if not stale and live is not None:  # not stale implies a live version
        report.reused_docs = [entry["id"] for entry in plan.reuse.values()]
        report.passages, report.sentences = live.info.get("passages", 0), live.info.get("sentences", 0)
        report.seconds = time.perf_counter() - started
        return report
    store.drop_unpublished()
    version = store.create_version(multilingual=settings.multilingual)
    try:
        _write_version(settings, store, live, version, plan, embedder, report, progress)
        store.publish(version)
    except BaseException:
        store.drop_version(version.tag)
        raise
    report.published = version.tag
    store.drop_unpublished()
    report.seconds = time.perf_counter() - started
    return report


def _compatibility_key(settings: Settings) -> dict:
    return {"model": settings.embed_model or "bundled:all-MiniLM-L6-v2", "splitter": SPLITTER_VERSION,
            "max_words": settings.passage_max_words, "vectors": VECTOR_SCHEME,
            "multilingual": MULTILINGUAL_MODEL if settings.multilingual else ""}


def _plan(settings: Settings, corpus_dir: Path, live: IndexVersion | None, rebuild: bool,
          report: IngestReport) -> _Plan:
    previous = live.files if live and not rebuild and live.info.get("key") == _compatibility_key(settings) else {}
    plan = _Plan({}, {})
    ids_in_use: dict[str, str] = {}
    paths = find_corpus_files(corpus_dir)
    report.files = len(paths)
    for path in paths:
        rel = path.relative_to(corpus_dir).as_posix()
        sha = file_sha256(path)
        if rel in previous and previous[rel]["sha256"] == sha:
            entry = plan.reuse[rel] = previous[rel]
            ids_in_use.setdefault(entry["id"], rel)
            continue
        try:
            doc = load_document(path)
            if doc.id in ids_in_use:
                raise CorpusFileError(path, f"id {doc.id!r} is already used by {ids_in_use[doc.id]}")
        except CorpusFileError as exc:
            report.skipped.append((str(path), exc.reason))
            if rel in previous:
                plan.reuse[rel] = previous[rel]
                report.kept_previous.append(rel)
            continue
        ids_in_use[doc.id] = rel
        plan.load[rel] = doc
    report.removed_docs = sorted(previous[rel]["id"] for rel in set(previous) - set(plan.reuse) - set(plan.load))
    return plan


def _write_version(settings, store, live, version, plan, embedder, report, progress) -> None:
    files = {}
    for rel, entry in plan.reuse.items():
        _copy_document(store, live, version, entry["id"])
        files[rel] = entry
        report.reused_docs.append(entry["id"])
    fresh = [(rel, doc, split_document(doc.id, doc.text, settings.passage_max_words, doc.title))
             for rel, doc in plan.load.items()]
    if fresh:
        embedder = embedder or SentenceTransformerEmbedder(settings.embed_model, settings.embed_batch_size)
        _embed_and_add(store, version, fresh, embedder, report, progress)
    for rel, doc, chunks in fresh:
        files[rel] = {"id": doc.id, "sha256": doc.sha256, "passages": len(chunks),
                      "sentences": sum(len(c.sentences) for c in chunks), "title": doc.title, "url": doc.url}
        report.embedded_docs.append(doc.id)
    report.passages = sum(f["passages"] for f in files.values())
    report.sentences = sum(f["sentences"] for f in files.values())
    version.info = {"files": files, "key": _compatibility_key(settings), "passages": report.passages,
                    "sentences": report.sentences,
                    "multilingual": MULTILINGUAL_MODEL if version.multilingual is not None else ""}


def _copy_document(store: IndexStore, live: IndexVersion, version: IndexVersion, doc_id: str) -> None:
    include = ("documents", "metadatas", "embeddings")
    old = live.collections()
    where = records.of_document(doc_id)
    for kind, target in version.collections().items():
        for ids, documents, metadatas, embeddings in store.read_all(old[kind], include, where=where):
            store.add(target, list(ids), np.asarray(embeddings, dtype=np.float32), list(documents), list(metadatas))


def passage_context(title: str, heading: str, text: str) -> str:
    """What a passage vector encodes: the passage with the document title and section it sits under."""
    lead = title if not heading or heading == title else f"{title} / {heading}"
    return f"{lead}\n{text}"


def sentence_texts(title: str, text: str) -> tuple[str, str]:
    """A sentence is embedded twice and stored as the normalized mean of the two vectors: once after its
    document title, so "the trial" finds its study, and once on its own, so a title that reads like a
    question ("Is Baclofen Addictive or ...?") does not make every sentence of its document look alike."""
    return f"{title}: {text}", text


def _embed_and_add(store, version, fresh, embedder: Embedder, report: IngestReport, progress: bool) -> None:
    passage_rows, sentence_rows = [], []
    for _, doc, chunks in fresh:
        for chunk in chunks:
            text = doc.text[chunk.start:chunk.end]
            passage_rows.append((chunk.id, passage_context(doc.title, chunk.heading, text), text,
                                 _passage_metadata(doc, chunk)))
            for n, span in enumerate(chunk.sentences):
                sentence = doc.text[span.start:span.end]
                sentence_rows.append((records.sentence_id(chunk.id, n), sentence_texts(doc.title, sentence), sentence,
                                      records.sentence_metadata(chunk.id, doc.id, span.start, span.end)))
    multilingual = version.multilingual is not None
    total = len(passage_rows) + (4 if multilingual else 2) * len(sentence_rows)
    bar = _progress_bar(total, progress)
    sentence_args = ([r[0] for r in sentence_rows], [r[2] for r in sentence_rows], [r[3] for r in sentence_rows])
    try:
        passage_vectors = _embed_with_progress(embedder, [r[1] for r in passage_rows], bar, report)
        store.add(version.passages, [r[0] for r in passage_rows], passage_vectors, [r[2] for r in passage_rows],
                  [r[3] for r in passage_rows])
        pairs = _embed_with_progress(embedder, [t for r in sentence_rows for t in r[1]], bar, report)
        store.add(version.sentences, sentence_args[0], mean_of_pairs(pairs), *sentence_args[1:])
        if multilingual:
            pairs = _embed_with_progress(multilingual_embedder(), [t for r in sentence_rows for t in r[1]], bar, report)
            store.add(version.multilingual, sentence_args[0], mean_of_pairs(pairs), *sentence_args[1:])
    finally:
        bar.close()
    report.embedded_texts += total


def _embed_with_progress(embedder: Embedder, texts: list[str], bar, report: IngestReport) -> np.ndarray:
    parts = []
    for i in range(0, len(texts), EMBED_STEP):
        started = time.perf_counter()
        parts.append(embedder.embed(texts[i:i + EMBED_STEP]))
        report.embed_seconds += time.perf_counter() - started
        bar.update(len(parts[-1]))
    return np.concatenate(parts) if parts else np.zeros((0, 384), dtype=np.float32)


def mean_of_pairs(vectors: np.ndarray) -> np.ndarray:
    """Rows 0+1, 2+3, ... averaged and scaled back to unit length."""
    means = vectors.reshape(-1, 2, vectors.shape[1]).mean(axis=1)
    return (means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def _passage_metadata(doc: CorpusDocument, chunk: Chunk) -> dict:
    return records.passage_metadata(doc.id, heading=chunk.heading, index=chunk.index, start=chunk.start,
                                    end=chunk.end, sentences=[(s.start, s.end) for s in chunk.sentences],
                                    doc_fields=doc.meta, body_offset=doc.body_offset, doc_sha=doc.sha256)


def _progress_bar(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc="Embedding passages and sentences", unit="text", disable=not enabled,
                dynamic_ncols=True)
