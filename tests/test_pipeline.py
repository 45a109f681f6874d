"""Ingest: incremental, atomic, and honest about skipped files (fake embedder, real embedded Chroma)."""
import pytest
from helpers import FakeEmbedder, served_from, write_doc

from bot.index.store import IndexStore
from ingest.__main__ import main as ingest_main
from ingest.pipeline import ingest_corpus


def passage_ids(settings):
    version = IndexStore(settings).require_live()
    return sorted(version.passages.get(include=[])["ids"])


def test_first_ingest_embeds_every_passage_and_sentence(settings, small_corpus, fake_embedder):
    report = ingest_corpus(settings, small_corpus, embedder=fake_embedder, progress=False)
    assert report.published and sorted(report.embedded_docs) == ["alpha", "beta", "gamma"]
    version = IndexStore(settings).require_live()
    assert version.passages.count() == report.passages and version.sentences.count() == report.sentences
    assert fake_embedder.texts == report.passages + 2 * report.sentences  # sentences: with and without title


def test_unchanged_corpus_embeds_and_publishes_nothing(settings, small_corpus):
    first = ingest_corpus(settings, small_corpus, embedder=FakeEmbedder(), progress=False)
    counting = FakeEmbedder()
    again = ingest_corpus(settings, small_corpus, embedder=counting, progress=False)
    assert counting.texts == 0 and again.published is None and again.embedded_docs == []
    assert IndexStore(settings).live_tag() == first.published
    assert again.passages == first.passages


def test_changed_file_is_embedded_alone_and_deleted_file_disappears(settings, small_corpus):
    ingest_corpus(settings, small_corpus, embedder=FakeEmbedder(), progress=False)
    write_doc(small_corpus, "alpha.md", "# Alpha\n\nThe alpha trial now used 90 mg a day.\n")
    (small_corpus / "gamma.md").unlink()
    counting = FakeEmbedder()
    report = ingest_corpus(settings, small_corpus, embedder=counting, progress=False)
    assert report.embedded_docs == ["alpha"] and report.reused_docs == ["beta"] and report.removed_docs == ["gamma"]
    assert counting.texts == 3  # one passage, and its one sentence embedded twice
    ids = passage_ids(settings)
    assert not [i for i in ids if i.startswith("gamma#")] and "alpha#0" in ids and "alpha#1" not in ids
    version = IndexStore(settings).require_live()
    text = version.passages.get(ids=["alpha#0"], include=["documents"])["documents"][0]
    assert "90 mg" in text
    assert version.sentences.get(where={"doc_id": "gamma"}, include=[])["ids"] == []


def test_bad_file_is_skipped_with_reason_and_others_ingest(settings, small_corpus, capsys, monkeypatch):
    write_doc(small_corpus, "broken.md", "Text.\n", url="not-a-url")
    monkeypatch.setenv("BOT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setattr("ingest.pipeline.SentenceTransformerEmbedder", lambda *a, **k: FakeEmbedder())
    assert ingest_main(["--corpus", str(small_corpus), "--quiet"]) == 3  # ingested, but something was skipped
    out = capsys.readouterr().out
    assert "broken.md" in out and "must be an absolute http(s) address" in out
    assert {i.split("#")[0] for i in passage_ids(settings)} == {"alpha", "beta", "gamma"}


def test_file_that_breaks_keeps_its_last_good_version(settings, small_corpus):
    ingest_corpus(settings, small_corpus, embedder=FakeEmbedder(), progress=False)
    (small_corpus / "beta.md").write_text("---\ntitle: [oops\n---\nText.\n")
    report = ingest_corpus(settings, small_corpus, embedder=FakeEmbedder(), progress=False)
    assert report.kept_previous == ["beta.md"] and "not valid YAML" in report.skipped[0][1]
    assert any(i.startswith("beta#") for i in passage_ids(settings))


def test_duplicate_ids_are_rejected_by_name(settings, small_corpus):
    write_doc(small_corpus, "zeta.md", "Copy.\n", id="alpha")
    report = ingest_corpus(settings, small_corpus, embedder=FakeEmbedder(), progress=False)
    assert report.skipped and "zeta.md" in report.skipped[0][0] and "already used by alpha.md" in report.skipped[0][1]


def test_crash_mid_ingest_leaves_previous_index_answering(settings, small_corpus):
    from bot.service import Bot

    first = ingest_corpus(settings, small_corpus, embedder=FakeEmbedder(), progress=False)
    write_doc(small_corpus, "delta.md", "Delta text about naloxone.\n" * 3)
    write_doc(small_corpus, "alpha.md", "# Alpha\n\nRewritten alpha.\n")
    with pytest.raises(RuntimeError, match="simulated crash"):
        ingest_corpus(settings, small_corpus, embedder=FakeEmbedder(fail_after=1), progress=False)
    store = IndexStore(settings)
    assert store.live_tag() == first.published
    answer = Bot(settings, embedder=FakeEmbedder()).answer("How many days did gamma study cocaine craving?")
    assert served_from(answer, "21 days")
    names = [c.name for c in store.client.list_collections()]
    assert sum(n.startswith("bot-passages-") for n in names) == 1  # the failed version was cleaned up


def test_leftovers_of_a_killed_ingest_are_removed_next_time(settings, small_corpus):
    ingest_corpus(settings, small_corpus, embedder=FakeEmbedder(), progress=False)
    store = IndexStore(settings)
    orphan = store.create_version()  # what a kill -9 between create and publish leaves behind
    write_doc(small_corpus, "alpha.md", "# Alpha\n\nChanged.\n")
    ingest_corpus(settings, small_corpus, embedder=FakeEmbedder(), progress=False)
    names = [c.name for c in store.client.list_collections()]
    assert not any(orphan.tag in n for n in names)


def test_rebuild_re_embeds_everything(settings, small_corpus):
    first = ingest_corpus(settings, small_corpus, embedder=FakeEmbedder(), progress=False)
    counting = FakeEmbedder()
    report = ingest_corpus(settings, small_corpus, rebuild=True, embedder=counting, progress=False)
    assert report.published != first.published and counting.texts == first.passages + 2 * first.sentences


def test_missing_corpus_directory_is_a_clear_error(capsys, tmp_path):
    assert ingest_main(["--corpus", str(tmp_path / "nope"), "--quiet"]) == 1
    assert "corpus directory not found" in capsys.readouterr().err


def test_a_fixed_name_collection_mirrors_the_live_passages_for_other_tools(settings, small_corpus):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    first = ingest_corpus(settings, small_corpus, embedder=FakeEmbedder(), progress=False)
    write_doc(small_corpus, "delta.md", "# Delta\n\nDelta is a new document about sleep.")
    second = ingest_corpus(settings, small_corpus, embedder=FakeEmbedder(), progress=False)
    assert second.published != first.published
    plain = chromadb.PersistentClient(path=str(settings.chroma_path),
                                      settings=ChromaSettings(anonymized_telemetry=False))
    stable = plain.get_collection("bot-passages")  # a client that knows nothing of versions
    assert stable.metadata["live"] == second.published
    assert sorted(stable.get(include=[])["ids"]) == passage_ids(settings)
    got = stable.get(ids=[passage_ids(settings)[0]], include=["embeddings", "documents", "metadatas"])
    assert len(got["embeddings"][0]) == FakeEmbedder().dim and got["documents"][0] and got["metadatas"][0]
