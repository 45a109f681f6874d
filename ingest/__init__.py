"""Corpus ingestion: files in, passages and sentence vectors out, stored in Chroma.

`python -m ingest [--corpus DIR] [--rebuild]`; the library entry point is `ingest_corpus()`.
The parts it runs (reading and splitting documents, the embedding models, the record format and the Chroma
store) live in `bot.index`, which the bot reads the index through; nothing in `bot` imports this package.
"""
from ingest.pipeline import IngestReport, ingest_corpus

__all__ = ["IngestReport", "ingest_corpus"]
