"""Corpus ingestion: files in, passages and sentence vectors out, stored in Chroma.

`python -m ingest [--corpus DIR] [--rebuild]`; the library entry point is `ingest_corpus()`.
"""
from ingest.pipeline import IngestReport, ingest_corpus

__all__ = ["IngestReport", "ingest_corpus"]
