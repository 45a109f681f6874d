"""Questions in a conversation: read with the earlier question when they stand on it, alone when they do not.

The phrasings below are not in the sets the follow-up model was fitted on (fit_follow_ups.py)."""
from __future__ import annotations

import pytest

from bot.fit import HELD_OUT
from bot.fit_follow_ups import main as fit_follow_ups
from bot.follow_ups import FEATURES, FollowUpModel, follow_up_features, information


@pytest.mark.parametrize("question", ["what did they find", "was it safe", "and those patients?",
                                      "y en ese estudio?", "cuantos eran ellos", "did the trial help her"])
def test_pointing_back_is_read_in_english_and_spanish(question):
    assert follow_up_features(question, 0.5)[FEATURES.index("points_back")] == 1.0


@pytest.mark.parametrize("question", ["how many people were enrolled", "que dosis usaron", "which drug is safer"])
def test_a_question_without_pronouns_does_not_point_back(question):
    assert follow_up_features(question, 0.5)[FEATURES.index("points_back")] == 0.0


@pytest.mark.parametrize("short, complete", [
    ("and the dose?", "what dose of baclofen did the Bacloville trial use?"),
    ("y la dosis?", "que dosis de baclofeno se uso en el ensayo Bacloville?"),
    ("how long?", "how long did the cocaine volunteers stay in the hospital?"),
])
def test_rare_words_carry_more_information_than_function_words_in_either_language(short, complete):
    assert information(complete) > information(short) + 5


def test_the_shipped_model_reads_only_the_features_it_names():
    model = FollowUpModel.load()
    assert set(model.weights.weights) <= set(FEATURES)
    assert not any(name in " ".join(model.fitted_on) for name in HELD_OUT)


@pytest.mark.parametrize("name", HELD_OUT)
def test_the_follow_up_fit_refuses_the_blind_sets_still_held_out(tmp_path, name):
    held_out = tmp_path / name
    held_out.write_text('{"question": "and the dose?", "answerable": true}\n', encoding="utf-8")
    with pytest.raises(SystemExit):
        fit_follow_ups(["--follow-ups", str(held_out), "--out", str(tmp_path / "model.json")])
    assert not (tmp_path / "model.json").exists()


@pytest.mark.slow
@pytest.mark.parametrize("question", [
    "and how many finished it?", "what dose did they give", "any side effects in that one?", "was it blinded",
    "y cuantos pacientes tenia?", "who ran it", "how long did people take the pills",
])
def test_short_questions_after_a_conversation_stand_on_the_earlier_question(shipped_bot, question):
    history = [{"role": "user", "content": "what did the BACLAD trial test?"}, {"role": "assistant", "content": "-"}]
    assert shipped_bot.earlier_question(question, history) == "what did the BACLAD trial test?"


@pytest.mark.slow
@pytest.mark.parametrize("question", [
    "Can baclofen help people who are addicted to opioids?",
    "What happens if someone stops taking baclofen all at once?",
    "How common is gabapentin misuse among people who misuse opioids?",
    "¿Puede el baclofeno causar adicción?",
])
def test_complete_questions_after_another_topic_are_answered_as_if_asked_alone(shipped_bot, question):
    history = [{"role": "user", "content": "what was the target dose in ALPADIR?"},
               {"role": "assistant", "content": "180 mg a day."}]
    assert shipped_bot.earlier_question(question, history) is None
    assert shipped_bot.answer(question, history=history).text == shipped_bot.answer(question).text


def _conversation(*questions: str) -> list[dict]:
    return [turn for q in questions for turn in ({"role": "user", "content": q}, {"role": "assistant", "content": "-"})]


def _bot_reading_every_question_as_a_follow_up(settings):
    from helpers import FakeEmbedder

    from bot.service import Bot

    return Bot(settings, embedder=FakeEmbedder(), follow_up_model=FollowUpModel.always())


def test_the_earlier_question_is_read_as_the_bot_read_it_back_through_the_conversation(fake_corpus_settings):
    from bot.service import MAX_CHAINED_QUESTIONS

    bot = _bot_reading_every_question_as_a_follow_up(fake_corpus_settings)
    chained = _conversation("tell me about the Garbutt trial", "what dose?")
    assert bot.earlier_question("how many finished?", chained) == "what dose? (tell me about the Garbutt trial)"
    # a question that names its own source starts a new thread: what came before it is not read into it
    switched = _conversation("tell me about the Garbutt trial", "and what did the ALPADIR trial find?")
    assert bot.earlier_question("how many were in it?", switched) == "and what did the ALPADIR trial find?"
    long = _conversation("what is baclofen", "tell me about the Garbutt trial", "what dose?", "for how long?")
    assert MAX_CHAINED_QUESTIONS == 3
    assert bot.earlier_question("and then?", long) == "for how long? (what dose? (tell me about the Garbutt trial))"


def test_a_labelled_follow_up_is_read_without_its_own_sets_known_questions(fake_corpus_settings, tmp_path):
    """The fit reads each labelled question as an unseen one (`exclude`): its own set is in the bank, and its
    twin there would make it look like a complete question asked before."""
    from dataclasses import replace

    from helpers import FakeEmbedder

    from bot.known_questions import KnownQuestions
    from bot.service import Bot

    question = "y cuantos se mantuvieron abstinentes"
    bank = tmp_path / "known.jsonl"
    KnownQuestions([question], ["mine"], [()]).save(bank)
    bot = Bot(replace(fake_corpus_settings, known_questions_path=str(bank)), embedder=FakeEmbedder())
    history = _exchange("que fue el estudio alpadir?", "ALPADIR randomized 320 patients.")
    assert bot.known_closeness(question) == pytest.approx(1.0, abs=1e-5)
    assert bot.known_closeness(question, exclude="mine") == 0.0
    assert bot.earlier_question(question, history) is None
    assert bot.earlier_question(question, history, exclude="mine") == "que fue el estudio alpadir?"


def _exchange(question: str, reply: str) -> list[dict]:
    return [{"role": "user", "content": question}, {"role": "assistant", "content": reply}]


@pytest.mark.parametrize("question, reply, named", [
    ("what was the first study on baclofen for craving?",
     "A 2000 pilot study by Addolorato and colleagues tested whether baclofen reduces craving.", "2000 addolorato"),
    ("is there research on opioids?", "Yes. Assadi, Radgoodarzi and Ahmadi-Abhari ran a randomized trial.",
     "assadi radgoodarzi ahmadi abhari ahmadiabhari"),
    ("¿Hay estudios con cocaína?", "Sí, Haney, Hart y Foltin (2006) hicieron un estudio de laboratorio.",
     "haney hart foltin 2006"),
    ("were any trials negative?", "In ALPADIR, abstinence was 11.9% on baclofen and 10.5% on placebo.", "alpadir"),
])
def test_a_follow_up_is_about_the_source_the_last_reply_named(fake_corpus_settings, question, reply, named):
    bot = _bot_reading_every_question_as_a_follow_up(fake_corpus_settings)
    assert bot.earlier_question("how many took part?", _exchange(question, reply)) == f"{question} ({named})"
    # an earlier reply that named a source still counts when the last one named none
    longer = _exchange(question, reply) + _exchange("and the dose?", "60 mg a day.")
    assert bot.earlier_question("for how long?", longer) == f"and the dose? ({question}) ({named})"


def test_the_visitors_own_naming_of_a_source_wins_over_the_reply(fake_corpus_settings):
    bot = _bot_reading_every_question_as_a_follow_up(fake_corpus_settings)
    named = _exchange("tell me about the Garbutt trial", "The ALPADIR and Garbutt trials found no benefit.")
    assert bot.earlier_question("what dose?", named) == "tell me about the Garbutt trial"
    plain = _exchange("is baclofen addictive?", "There is minimal data; a case study suggests it may be possible.")
    assert bot.earlier_question("how so?", plain) == "is baclofen addictive?"
    assert bot.earlier_question("how so?", [{"role": "user", "content": "is it addictive?"}]) == "is it addictive?"


@pytest.mark.slow
@pytest.mark.parametrize("first, middle, question, source", [
    ("what was the haney cocaine study", "how long were they inpatients?", "and which doses did they get",
     "npp.1300999"),
    pytest.param("tell me about the baclad trial", "who was in it", "how many stayed sober on baclofen", "euroneuro",
                 marks=pytest.mark.xfail(strict=False, reason=(
                     "the follow-up model reads this last question as standing alone (0.36 after the eleventh "
                     "round's refit, which added Spanish topic switches), so no chain is read; a tenth-round "
                     "refit without those switches joined it, but also joined a complete Spanish question to an "
                     "unrelated one"))),
    ("what did the 2007 lancet study in cirrhosis test", "results?", "did anyone drop out", "S0140-6736"),
    ("que fue el estudio de assadi", "cuanto duro?", "y que dosis les dieron", "1471-244X"),
])
def test_a_third_question_still_knows_which_study_the_conversation_is_about(shipped_bot, first, middle,
                                                                           question, source):
    answer = shipped_bot.answer(question, history=_conversation(first, middle), generate=False)
    assert not answer.refused
    assert any(source.lower() in c.url.lower() for c in answer.citations), [c.url for c in answer.citations]
