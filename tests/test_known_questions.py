"""Known questions: how close a new question is to questions other readers asked that a sentence answers."""
from __future__ import annotations

import numpy as np
import pytest
from helpers import FakeEmbedder

from bot.known_questions import KnownQuestions, sentence_key

DOSE = "The alpha trial used 60 mg a day."
CRAVING = "Craving fell in the alpha trial."


def memory(embedder=None) -> KnownQuestions:
    known = KnownQuestions(
        ["how many milligrams did alpha give people", "what dose was used in alpha", "did wanting a drink go down"],
        ["set_a", "set_b", "set_a"],
        [(DOSE,), (DOSE,), (CRAVING,)])
    return known.embed((embedder or FakeEmbedder()).embed)


def vector(text: str) -> np.ndarray:
    return FakeEmbedder().embed([text])[0]


def test_a_sentence_reads_its_closest_known_question_and_an_unknown_sentence_reads_zero():
    known = memory()
    sims = known.similarities(vector("what dose was used in alpha"))
    scores = known.sentence_scores(sims, [DOSE, CRAVING, "Gamma studied cocaine craving."])
    assert scores[0] == pytest.approx(1.0, abs=1e-5)  # the same question, asked again
    assert 0.0 <= scores[1] < 0.5
    assert scores[2] == 0.0


def test_the_same_sentence_is_found_whatever_its_spacing():
    known = memory()
    sims = known.similarities(vector("what dose was used in alpha"))
    assert known.sentence_scores(sims, ["The alpha trial used\n60 mg  a day."])[0] == pytest.approx(1.0, abs=1e-5)
    assert sentence_key(" a\n b  c ") == "a b c"


def test_a_left_out_set_cannot_lend_its_questions():
    known = memory()
    question = vector("what dose was used in alpha")
    assert known.sentence_scores(known.similarities(question, exclude="set_b"), [DOSE])[0] < 0.99
    only_b = known.similarities(question, exclude="set_a")
    assert (only_b[[0, 2]] == -1.0).all()
    assert known.sentence_scores(known.similarities(question, exclude="nobody"), [DOSE])[0] == pytest.approx(1.0,
                                                                                                            abs=1e-5)


def test_pointed_sentences_come_from_the_closest_questions_above_the_minimum():
    known = memory()
    sims = known.similarities(vector("what dose was used in alpha"))
    assert known.pointed_sentences(sims, minimum=0.9, limit=3) == [DOSE]
    assert known.pointed_sentences(sims, minimum=1.01, limit=3) == []
    assert set(known.pointed_sentences(sims, minimum=-1.0, limit=3)) == {DOSE, CRAVING}


def test_a_standalone_question_is_compared_with_standalone_known_questions_only():
    """A follow-up kept joined with its earlier question says nothing about how complete a question asked on
    its own is (follow_ups.py reads `standalone_best`), but it still lends its sentences to the scorer."""
    known = KnownQuestions(["what dose was used in alpha", "what dose did they get (how long was alpha)"],
                           ["set_a", "set_b"], [(), (DOSE,)], joined=[False, True]).embed(FakeEmbedder().embed)
    sims = known.similarities(vector("what dose did they get (how long was alpha)"))
    assert sims[1] == pytest.approx(1.0, abs=1e-5)
    assert known.standalone_best(sims) == pytest.approx(float(sims[0])) and known.standalone_best(sims) < 0.99
    assert known.sentence_scores(sims, [DOSE])[0] == pytest.approx(1.0, abs=1e-5)
    assert known.best(sims, answered=False) == pytest.approx(float(sims[0]))


def test_a_question_asked_in_a_conversation_never_counts_as_complete_on_its_own():
    """"and how many stayed abstinent?" asked after a question on a trial, even when the bot read it alone,
    does not make the next "and how many ..." look like a complete question; it still lends its sentences."""
    asked = ["and how many stayed abstinent", "how many stayed abstinent in alpha", "and what dose did they take"]
    known = KnownQuestions(asked, ["s1", "s2", "s3"], [(DOSE,), (DOSE,), (DOSE,)],
                           joined=[False, False, False], conversation=[True, False, True]).embed(FakeEmbedder().embed)
    sims = known.similarities(vector("and how many stayed abstinent"))
    assert sims[0] == pytest.approx(1.0, abs=1e-5)
    assert known.standalone_best(sims) == pytest.approx(float(sims[1])) and known.standalone_best(sims) < 0.99
    assert known.sentence_scores(sims, [DOSE])[0] == pytest.approx(1.0, abs=1e-5)
    assert known.without(["s2"]).standalone_best(known.without(["s2"]).similarities(vector("x"))) == 0.0


def test_the_conversation_flag_round_trips_and_older_banks_read_it_from_joined(tmp_path):
    path = tmp_path / "known.jsonl"
    KnownQuestions(["a b", "c d", "e f (a b)"], ["s", "s", "s"], [(DOSE,), (), ()], joined=[False, False, True],
                   conversation=[False, True, True]).save(path)
    assert KnownQuestions.load(path).conversation == [False, True, True]
    path.write_text('{"question": "a", "sentences": []}\n{"question": "b (a)", "sentences": [], "joined": true}\n',
                    encoding="utf-8")
    assert KnownQuestions.load(path).conversation == [False, True]


def test_a_bank_without_some_sets_keeps_the_rest_in_order():
    known = KnownQuestions(["a", "b", "c"], ["s1", "s2", "s1"], [(DOSE,), (), (CRAVING,)], joined=[True, False, False])
    kept = known.without(["s1"])
    assert (kept.questions, kept.sets, kept.sentences, kept.joined) == (["b"], ["s2"], [()], [False])
    assert known.without([]).questions == ["a", "b", "c"]


def test_joined_follow_ups_round_trip(tmp_path):
    path = tmp_path / "known.jsonl"
    KnownQuestions(["a b", "c d (a b)"], ["s", "s"], [(DOSE,), ()], joined=[False, True]).save(path)
    assert '"joined"' not in path.read_text().splitlines()[0]
    assert KnownQuestions.load(path).joined == [False, True]


def test_known_questions_round_trip_and_a_bad_line_names_its_file_and_line(tmp_path):
    path = tmp_path / "known.jsonl"
    memory().save(path)
    again = KnownQuestions.load(path)
    assert again.questions == memory().questions and again.sentences == memory().sentences
    path.write_text(path.read_text() + '{"question": "no sentences"}\n')
    with pytest.raises(ValueError, match=r"known\.jsonl:4"):
        KnownQuestions.load(path)
    assert len(KnownQuestions.load(tmp_path / "missing.jsonl")) == 0


def test_vectors_are_computed_once_and_then_read_from_the_cache(tmp_path):
    embedder = FakeEmbedder()
    first = KnownQuestions(["q one", "q two"], ["s", "s"], [("a",), ("b",)])
    first.embed(embedder.embed, tmp_path, "fake")
    calls = embedder.calls
    second = KnownQuestions(["q one", "q two"], ["s", "s"], [("a",), ("b",)]).embed(embedder.embed, tmp_path, "fake")
    assert embedder.calls == calls
    assert np.allclose(first.vectors, second.vectors)
    KnownQuestions(["q one", "q three"], ["s", "s"], [("a",), ("b",)]).embed(embedder.embed, tmp_path, "fake")
    assert embedder.calls == calls + 1  # other questions: other vectors


def test_the_bot_reads_known_questions_into_the_sentence_signals(settings, small_corpus, tmp_path):
    from dataclasses import replace

    from bot.service import Bot
    from ingest.pipeline import ingest_corpus

    embedder = FakeEmbedder()
    ingest_corpus(settings, small_corpus, embedder=embedder, progress=False)
    path = tmp_path / "known.jsonl"
    KnownQuestions(["how many milligrams per day in the alpha study"], ["mine"], [(DOSE,)]).save(path)
    bot = Bot(replace(settings, known_questions_path=str(path), answer_passages=1, known_passage_min=0.5),
              embedder=embedder)
    evidence, passages = bot.evidence("how many milligrams each day did the alpha study give")
    texts = [evidence.candidates.text(r) for r in range(len(evidence.candidates))]
    assert DOSE in texts  # the known question's passage joins the candidates
    row = texts.index(DOSE)
    assert evidence.whole.known is not None and evidence.whole.known[row] > 0.5
    assert all(evidence.whole.known[r] == 0.0 for r in range(len(texts)) if r != row)
    assert evidence.known_best == pytest.approx(float(evidence.whole.known[row]))
    left_out, _ = bot.evidence("how many milligrams each day did the alpha study give", known_exclude="mine")
    assert left_out.whole.known is not None and not left_out.whole.known.any()


def test_a_bot_told_to_use_a_new_bank_forgets_the_one_it_read(settings, small_corpus, tmp_path):
    """The fit writes a new bank after reading the old one (to read follow-ups), then reads with the new one."""
    from dataclasses import replace

    from bot.service import Bot
    from ingest.pipeline import ingest_corpus

    embedder = FakeEmbedder()
    ingest_corpus(settings, small_corpus, embedder=embedder, progress=False)
    old, new = tmp_path / "old.jsonl", tmp_path / "new.jsonl"
    KnownQuestions(["what dose was used in alpha"], ["s"], [(DOSE,)]).save(old)
    KnownQuestions(["what dose was used in alpha", "did wanting a drink go down"], ["s", "s"],
                   [(DOSE,), (CRAVING,)]).save(new)
    bot = Bot(replace(settings, known_questions_path=str(old)), embedder=embedder)
    assert len(bot.known_questions) == 1 and bot.known_closeness("did wanting a drink go down") < 0.99
    bot.use_known_questions(new)
    assert len(bot.known_questions) == 2 and bot.known_closeness("did wanting a drink go down") > 0.99


def test_a_part_reads_the_similarities_computed_for_it_when_there_are_some():
    from bot.known_questions import KnownMatch

    known = memory()
    whole = known.similarities(vector("what dose was used in alpha"))
    computed = (np.array([0.1, 0.2, 0.3], dtype=np.float32),)
    assert KnownMatch(known, whole, parts=computed).of_part(0, vector("anything")) is computed[0]
    own = KnownMatch(known, whole, exclude="set_b").of_part(0, vector("did wanting a drink go down"))
    assert own[2] == pytest.approx(1.0, abs=1e-5) and own[1] == -1.0


ENGLISH_KNOWN = (  # (known question, the sentence it is answered by)
    ("what was baclofen originally made to treat", "Baclofen was first designed to treat epilepsy."),
    ("how many people were in the alpadir trial", "The ALPADIR trial randomized 320 patients."),
    ("can you get addicted to baclofen", "Baclofen can cause dependence when it is misused."),
    ("what are the side effects of baclofen", "Side effects include drowsiness, dizziness and weakness."),
    ("is it dangerous to stop taking baclofen suddenly", "Stopping baclofen abruptly can cause seizures."),
)


@pytest.mark.slow
@pytest.mark.parametrize(("question", "expected"), [
    ("para que se creo el baclofeno al principio", 0),
    ("cuantos pacientes participaron en el estudio alpadir", 1),
    ("uno se puede volver adicto al baclofeno?", 2),
    ("que efectos secundarios tiene", 3),
    ("es peligroso dejarlo de golpe", 4),
    ("whats it got to do with epilepsy originally", 0),
])
def test_multilingual_vectors_find_the_known_question_across_languages(question, expected):
    """What evidence reads by default: a Spanish question (or a lay English one) is matched with the known
    questions other readers asked, in English, through multilingual-e5."""
    from bot.index.embedding import multilingual_embedder

    model = multilingual_embedder()
    known = KnownQuestions([q for q, _ in ENGLISH_KNOWN], ["s"] * len(ENGLISH_KNOWN),
                           [(s,) for _, s in ENGLISH_KNOWN]).embed(model.embed_queries)
    sims = known.similarities(model.embed_query(question))
    assert int(np.argmax(sims)) == expected
    assert known.pointed_sentences(sims, minimum=0.0, limit=1) == [ENGLISH_KNOWN[expected][1]]


@pytest.mark.slow
def test_the_bot_matches_known_questions_by_multilingual_vectors_when_it_has_them(shipped_bot):
    """A Spanish question's nearest known questions are those asking the same thing, whatever their language;
    with the multilingual model off, the bot's own vectors are read."""
    from dataclasses import replace

    from bot.index.embedding import multilingual_embedder

    question = "cuantos pacientes participaron en el estudio alpadir"
    shape, texts, _ = shipped_bot.question_texts(question)
    vectors = shipped_bot.embed_texts(texts)
    e5 = multilingual_embedder().embed_query(question)
    match = shipped_bot.known_match(shape, question, e5, vectors, None)
    assert match.questions is shipped_bot.known_questions_multilingual
    nearest = [match.questions.questions[i] for i in np.argsort(-match.whole)[:5]]
    assert sum("alpadir" in q.lower() for q in nearest) >= 3, nearest
    saved = shipped_bot.settings
    shipped_bot.settings = replace(saved, multilingual=False)
    try:
        assert shipped_bot.known_match(shape, question, e5, vectors, None).questions is shipped_bot.known_questions
    finally:
        shipped_bot.settings = saved
