"""Retrieval: BM25 and dense search against slow, obviously-correct references; the LangChain seam."""
import math
from collections import Counter

import numpy as np
import pytest
from helpers import CORPUS, FakeEmbedder, write_doc
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bot.index.store import IndexStore
from bot.integrations import HybridRetriever
from bot.lexical import BM25Index, SpellingCorrector
from bot.retrieval import reciprocal_rank_fusion
from bot.service import Bot
from ingest.pipeline import ingest_corpus, mean_of_pairs, sentence_texts


def bm25_reference(documents, query, k1=1.5, b=0.75):
    n, average = len(documents), sum(map(len, documents)) / len(documents)
    scores = []
    for doc in documents:
        counts, total = Counter(doc), 0.0
        for term in set(query):
            df = sum(term in d for d in documents)
            if df:
                idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
                tf = counts[term]
                total += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(doc) / average))
        scores.append(total)
    return scores


@hsettings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=12), min_size=1, max_size=25),
       st.lists(st.sampled_from("abcdefghz"), min_size=1, max_size=4, unique=True))
def test_bm25_matches_the_textbook_formula(documents, query):
    index = BM25Index(documents)
    assert np.allclose(index.scores(query), bm25_reference(documents, query), rtol=1e-4, atol=1e-5)
    top = index.search(query, 3)
    expected = sorted((s, -i) for i, s in enumerate(bm25_reference(documents, query)) if s > 0)[::-1][:3]
    assert np.allclose([s for _, s in top], [s for s, _ in expected], rtol=1e-4, atol=1e-5)


def test_spelling_corrector_maps_typos_to_corpus_terms_only():
    corrector = SpellingCorrector({"addict", "withdraw", "baclofen"})
    assert corrector.correct("adict") == "addict" and corrector.correct("baclophen") == "baclofen"
    assert corrector.correct("migrain") == "migrain" and corrector.correct("abc") == "abc"


def test_reciprocal_rank_fusion_by_hand():
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1]], k=60)
    assert [pos for pos, _ in fused] == [1, 3, 2]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)


@pytest.mark.parametrize("memory_vector_limit", [50_000, 0], ids=["in-memory", "chroma-hnsw"])
def test_dense_search_matches_brute_force_cosine_over_all_sentences(corpus_bot, memory_vector_limit):
    from dataclasses import replace

    settings = corpus_bot.settings
    corpus_bot = Bot(replace(settings, memory_vector_limit=memory_vector_limit), embedder=corpus_bot.embedder)
    index = corpus_bot.index()
    assert (index._memory is not None) == bool(memory_vector_limit)
    version = IndexStore(settings).require_live()
    everything = version.sentences.get(include=["embeddings"])
    matrix = np.asarray(everything["embeddings"], dtype=np.float32)
    for question in ["How many patients were randomized in ALPADIR?", "liver enzymes GGT ALT", "Is baclofen addictive?",
                     "cocaine craving methadone", "tapering stopping abruptly seizures"]:
        query = corpus_bot.embedder.embed([question])[0]
        cosine = matrix @ query
        best_per_passage = {}
        for sid, score in sorted(zip(everything["ids"], cosine, strict=True), key=lambda x: -x[1]):
            best_per_passage.setdefault(sid.rsplit(".", 1)[0], float(score))
        expected = list(best_per_passage.items())[:10]
        got = [(index.passages[pos].id, score) for pos, score in index.dense_sentences(query, 60)[:10]]
        assert np.allclose([s for _, s in got], [s for _, s in expected], atol=1e-5)
        unique = [pid for pid, score in expected if sum(abs(score - o) < 1e-5 for _, o in expected) == 1]
        assert [pid for pid, _ in got if pid in unique] == unique  # same order wherever scores do not tie


def test_retrieve_returns_citable_passages_with_exact_offsets(corpus_bot):
    passages = corpus_bot.retrieve("What was the total abstinence rate in BACLAD?", k=4)
    assert len(passages) == 4 and passages[0].source.doc_id == "baclad-2015-high-dose"
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True)
    for passage in passages:
        body = (CORPUS / f"{passage.source.doc_id}.md").read_text(encoding="utf-8")
        body = body[body.index("\n---\n", 3) + 5:]
        assert body[passage.start:passage.end] == passage.text
        assert passage.url.startswith("https://") and passage.title


def test_langchain_retriever_returns_documents(corpus_bot):
    documents = HybridRetriever(bot=corpus_bot, k=3).invoke("liver cirrhosis abstinence")
    assert len(documents) == 3
    assert documents[0].metadata["doc_id"] == "addolorato-2007-cirrhosis" and documents[0].metadata["source"]


def test_sentence_vectors_come_from_chroma_and_are_cached(corpus_bot, monkeypatch):
    from dataclasses import replace

    corpus_bot = Bot(replace(corpus_bot.settings, memory_vector_limit=0), embedder=corpus_bot.embedder)
    index = corpus_bot.index()
    passages = index.passages[:3]
    first = index.sentence_vectors(passages)
    monkeypatch.setattr(index.version.sentences, "get", lambda **kw: pytest.fail("cache miss"))
    second = index.sentence_vectors(passages)
    assert all(np.array_equal(first[p.id], second[p.id]) for p in passages)
    expected = mean_of_pairs(
        corpus_bot.embedder.embed(sentence_texts(passages[0].title, passages[0].sentence_text(0))))[0]
    assert np.allclose(first[passages[0].id][0], expected, atol=1e-5)


def test_bot_picks_up_a_newly_published_index(settings, small_corpus):
    embedder = FakeEmbedder()
    ingest_corpus(settings, small_corpus, embedder=embedder, progress=False)
    bot = Bot(settings, embedder=embedder)
    assert "delta" not in {p.source.doc_id for p in bot.retrieve("naloxone overdose", k=5)}
    write_doc(small_corpus, "delta.md", "# Delta\n\nNaloxone reverses opioid overdose.\n")
    ingest_corpus(settings, small_corpus, embedder=embedder, progress=False)
    assert bot.retrieve("naloxone overdose", k=1)[0].source.doc_id == "delta"


@pytest.mark.slow
def test_chroma_server_mode_gives_the_same_answers_as_embedded(settings, chroma_server, small_corpus, real_embedder):
    from dataclasses import replace

    ingest_corpus(settings, small_corpus, embedder=real_embedder, progress=False)
    local = Bot(settings, embedder=real_embedder)
    remote_settings = replace(settings, chroma_host="127.0.0.1", chroma_port=chroma_server.port)
    ingest_corpus(remote_settings, small_corpus, embedder=real_embedder, progress=False)
    remote = Bot(remote_settings, embedder=real_embedder)
    assert IndexStore(remote_settings).live_tag() is not None
    for question in ["What dose did the alpha trial use?", "Did liver enzymes change?",
                     "How long were volunteers studied?"]:
        a, b = local.answer(question), remote.answer(question)
        assert a.text == b.text and [c.url for c in a.citations] == [c.url for c in b.citations]
        assert [p.id for p in local.retrieve(question)] == [p.id for p in remote.retrieve(question)]


@pytest.mark.parametrize("text", [
    "¿qué síntomas de abstinencia tuvo el hombre del caso?",  # "de" is Spanish for "of", not de Beaurepaire
    "¿cuál es el rango de dosis eficaz?",
    "porcentaje que bebía con bajo riesgo al cabo de un año",
    "what kind of medicine is baclofen",  # everyday English words of a publisher's or a journal's name
    "is it approved by a national health agency",
    "were any european patients in a trial",
])
def test_an_everyday_word_in_a_name_singles_out_no_source(corpus_bot, text):
    assert not corpus_bot.names_a_source(corpus_bot.index(), text)


@pytest.mark.parametrize("text, doc_id", [
    ("what did de Beaurepaire find", "de-beaurepaire-2012-high-dose"),
    ("¿qué encontró el estudio de Beaurepaire?", "de-beaurepaire-2012-high-dose"),
    ("the garbutt trial", "garbutt-2010-us-trial"),
    ("¿y el ensayo ALPADIR?", "alpadir-2017"),
    ("what was in the medlineplus page", "medlineplus-baclofen"),
])
def test_rare_words_of_a_name_still_single_out_their_source(corpus_bot, text, doc_id):
    assert corpus_bot._named_sources(corpus_bot.index(), text)[0] == {doc_id}


@pytest.mark.parametrize("text, compared", [
    ("was bacloville bigger than the garbutt trial", {"bacloville-2020", "garbutt-2010-us-trial"}),
    ("is the cochrane review more recent than alpadir?", {"alpadir-2017", "cochrane-2023-review"}),
    ("¿qué ensayo duró más, BACLAD o ALPADIR?", {"baclad-2015-high-dose", "alpadir-2017"}),
    ("de beaurepaire vs the cirrhosis trial: which had more patients",
     {"de-beaurepaire-2012-high-dose", "addolorato-2007-cirrhosis"}),
    ("what did the bacloville trial find", set()),  # one source is not a comparison
    ("what did the addolorato study find", set()),  # an ambiguous name (two studies) compares nothing...
    ("were liver enzymes lower after the addolorato 2000 study", set()),  # ...nor when the year settles which
])
def test_a_question_comparing_sources_puts_each_named_one_side_by_side(corpus_bot, text, compared):
    index = corpus_bot.index()
    assert index.compared_sources(corpus_bot._named_sources(index, text)[1]) == compared
