"""The record format of the index: ids and metadata of passage and sentence records, in one place.

- A passage id is `<doc id>#<n>`, n counting the document's passages from 0 (`passage_id`).
- A sentence id is `<passage id>.<n>`, n counting the passage's sentences from 0 (`sentence_id`); the
  sentence vectors of a passage are found by these ids, and a sentence hit is mapped back to its passage by
  `parse_sentence_id`.
- A passage record's metadata holds the document fields a citation needs (`DOC_FIELDS`, non-empty ones only),
  where the passage sits (`doc_id`, `heading`, `index`, `start`, `end`, in document-body offsets) and its
  sentence spans as a JSON list of `[start, end]` pairs (`passage_metadata`, read by `read_passage_metadata`).
- A sentence record's metadata names its passage and document and its span (`sentence_metadata`).

Writers (`ingest.pipeline`, the synthetic index of `bot.bench`) and readers (`bot.retrieval`) use these
functions instead of formatting or splitting ids themselves.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

PASSAGE_SEPARATOR = "#"
SENTENCE_SEPARATOR = "."
DOC_FIELDS = ("title", "url", "kind", "authors", "journal", "year", "doi", "pmid", "publisher")


class RecordIdError(ValueError):
    """An id that does not have the form of a passage or sentence id."""


def passage_id(doc_id: str, index: int) -> str:
    """The id of a document's `index`-th passage: `<doc id>#<index>`."""
    return f"{doc_id}{PASSAGE_SEPARATOR}{index}"


def parse_passage_id(pid: str) -> tuple[str, int]:
    """(doc id, passage index) of a passage id; RecordIdError when it is not one."""
    doc_id, separator, index = pid.rpartition(PASSAGE_SEPARATOR)
    if not separator or not doc_id or not index.isdigit():
        raise RecordIdError(f"{pid!r} is not a passage id (expected '<doc id>{PASSAGE_SEPARATOR}<n>')")
    return doc_id, int(index)


def sentence_id(pid: str, n: int) -> str:
    """The id of a passage's `n`-th sentence: `<passage id>.<n>`."""
    return f"{pid}{SENTENCE_SEPARATOR}{n}"


def sentence_ids(pid: str, count: int) -> list[str]:
    """The ids of a passage's `count` sentences, in order."""
    return [sentence_id(pid, n) for n in range(count)]


def parse_sentence_id(sid: str) -> tuple[str, int]:
    """(passage id, sentence number) of a sentence id; RecordIdError when it is not one."""
    pid, separator, n = sid.rpartition(SENTENCE_SEPARATOR)
    if not separator or not n.isdigit():
        raise RecordIdError(f"{sid!r} is not a sentence id (expected '<doc id>{PASSAGE_SEPARATOR}<n>"
                            f"{SENTENCE_SEPARATOR}<n>')")
    try:
        parse_passage_id(pid)
    except RecordIdError:
        raise RecordIdError(f"{sid!r} is not a sentence id (expected '<doc id>{PASSAGE_SEPARATOR}<n>"
                            f"{SENTENCE_SEPARATOR}<n>')") from None
    return pid, int(n)


def passage_metadata(doc_id: str, *, heading: str, index: int, start: int, end: int,
                     sentences: Iterable[tuple[int, int]], doc_fields: Mapping[str, Any] | None = None,
                     body_offset: int | None = None, doc_sha: str | None = None) -> dict[str, Any]:
    """The metadata of a passage record. `doc_fields` may hold anything: only the `DOC_FIELDS` that are set
    and not empty are kept. `body_offset` and `doc_sha` are left out when not given."""
    fields = doc_fields or {}
    meta: dict[str, Any] = {key: fields[key] for key in DOC_FIELDS if key in fields and fields[key] != ""}
    meta.update(doc_id=doc_id, heading=heading, index=index, start=start, end=end)
    if body_offset is not None:
        meta["body_offset"] = body_offset
    if doc_sha is not None:
        meta["doc_sha"] = doc_sha
    meta["sentences"] = json.dumps([[s, e] for s, e in sentences])
    return meta


@dataclass(frozen=True)
class PassageMetadata:
    """What a passage record's metadata says (see `passage_metadata`)."""

    doc_id: str
    heading: str
    start: int
    end: int
    sentences: tuple[tuple[int, int], ...]
    doc_fields: dict[str, Any] = field(default_factory=dict)  # the DOC_FIELDS present, as stored


def read_passage_metadata(meta: Mapping[str, Any]) -> PassageMetadata:
    """Read the metadata of a passage record (a missing heading is "", missing sentences none)."""
    spans = tuple((int(s), int(e)) for s, e in json.loads(meta.get("sentences", "[]")))
    return PassageMetadata(meta["doc_id"], meta.get("heading", ""), int(meta["start"]), int(meta["end"]), spans,
                           {key: meta[key] for key in DOC_FIELDS if key in meta})


def sentence_metadata(pid: str, doc_id: str, start: int, end: int) -> dict[str, Any]:
    """The metadata of a sentence record: its passage, its document and its span (document-body offsets)."""
    return {"passage_id": pid, "doc_id": doc_id, "start": start, "end": end}


def of_document(doc_id: str) -> dict[str, str]:
    """A Chroma `where` filter for every record (passage or sentence) of one document."""
    return {"doc_id": doc_id}
