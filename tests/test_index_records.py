"""bot/index/records.py: passage and sentence ids round-trip, malformed ids are refused, metadata reads back."""
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.index.records import (
    RecordIdError,
    of_document,
    parse_passage_id,
    parse_sentence_id,
    passage_id,
    passage_metadata,
    read_passage_metadata,
    sentence_id,
    sentence_ids,
    sentence_metadata,
)

DOC_IDS = st.from_regex(r"[a-z0-9][a-z0-9._-]{1,119}", fullmatch=True)  # the corpus id pattern


@given(DOC_IDS, st.integers(0, 10_000), st.integers(0, 10_000))
def test_ids_round_trip(doc_id, index, n):
    pid = passage_id(doc_id, index)
    assert parse_passage_id(pid) == (doc_id, index)
    sid = sentence_id(pid, n)
    assert parse_sentence_id(sid) == (pid, n)


def test_id_format_is_the_one_in_the_index():
    assert passage_id("baclad-2015", 3) == "baclad-2015#3"
    assert sentence_id("baclad-2015#3", 0) == "baclad-2015#3.0"
    assert sentence_ids("a.b#2", 3) == ["a.b#2.0", "a.b#2.1", "a.b#2.2"]
    assert parse_sentence_id("v1.2#10.7") == ("v1.2#10", 7)  # dots in the document id are fine


@pytest.mark.parametrize("bad", ["", "alpha", "alpha#", "#3", "alpha#x", "alpha#3.", "alpha.3"])
def test_malformed_sentence_id_raises_a_clear_error(bad):
    with pytest.raises(RecordIdError, match="is not a sentence id"):
        parse_sentence_id(bad)


@pytest.mark.parametrize("bad", ["", "alpha", "alpha#", "#3", "alpha#3.0"])
def test_malformed_passage_id_raises_a_clear_error(bad):
    with pytest.raises(RecordIdError, match="is not a passage id"):
        parse_passage_id(bad)


def test_passage_metadata_round_trip_keeps_only_set_document_fields():
    meta = passage_metadata("alpha", heading="Alpha > Results", index=2, start=10, end=90,
                            sentences=[(10, 40), (41, 90)], body_offset=5, doc_sha="abc",
                            doc_fields={"id": "alpha", "title": "Alpha", "url": "https://x.org/a", "kind": "study",
                                        "doi": "", "year": 2012})
    assert meta == {"title": "Alpha", "url": "https://x.org/a", "kind": "study", "year": 2012, "doc_id": "alpha",
                    "heading": "Alpha > Results", "index": 2, "start": 10, "end": 90, "body_offset": 5,
                    "doc_sha": "abc", "sentences": json.dumps([[10, 40], [41, 90]])}
    record = read_passage_metadata(meta)
    assert (record.doc_id, record.heading, record.start, record.end) == ("alpha", "Alpha > Results", 10, 90)
    assert record.sentences == ((10, 40), (41, 90))
    assert record.doc_fields == {"title": "Alpha", "url": "https://x.org/a", "kind": "study", "year": 2012}


def test_optional_passage_fields_are_left_out_and_read_with_defaults():
    meta = passage_metadata("beta", heading="", index=0, start=0, end=5, sentences=[])
    assert "body_offset" not in meta and "doc_sha" not in meta
    record = read_passage_metadata({"doc_id": "beta", "start": 0, "end": 5})
    assert record.heading == "" and record.sentences == () and record.doc_fields == {}


def test_sentence_metadata_and_document_filter():
    assert sentence_metadata("alpha#0", "alpha", 3, 9) == {"passage_id": "alpha#0", "doc_id": "alpha", "start": 3,
                                                           "end": 9}
    assert of_document("alpha") == {"doc_id": "alpha"}
