"""The sentence signals that do not need a model: what a sentence holds by its surface form."""
from __future__ import annotations

import pytest

from bot.features import SHAPE_NAMES, _shapes


def held(text: str) -> set[str]:
    return {name for name, value in zip(SHAPE_NAMES, _shapes(text), strict=True) if value}


@pytest.mark.parametrize(("text", "expected"), [
    ("Patients took 30 mg a day for 12 weeks.", {"number", "dose", "duration"}),
    ("The trial was published in 2017 by Reynaud and colleagues.", {"year", "name"}),
    ("It did not reduce drinking, because craving stayed high.", {"reason", "negation"}),
    ("Side effects include drowsiness, weakness, confusion and nausea.", {"list"}),
])
def test_what_a_sentence_holds(text, expected):
    assert expected <= held(text)


def test_a_sentence_read_once_is_shared_and_cannot_be_changed_by_a_caller():
    first = _shapes("About 40 percent of patients stopped early.")
    assert _shapes("About 40 percent of patients stopped early.") is first  # read once
    with pytest.raises(ValueError):
        first[0] = 0.0  # the cached row is read-only, so no caller can corrupt it for the next question


@pytest.mark.parametrize("question, sentences", [
    ("what percentage of people get drowsy on it", ["Common side effects of baclofen include drowsiness, weakness, "
                                                    "confusion, dizziness and upset stomach."]),
    ("how many patients ended up in hospital?", ["The study followed patients with alcohol dependence who had not "
                                                 "responded to the usual treatments."]),
    ("how much does a month of baclofen cost", ["Baclofen is a skeletal muscle relaxant."]),
    ("¿cuántos pacientes dejaron el estudio por efectos secundarios?", ["Side effects did not differ between "
                                                                      "baclofen and placebo."]),
    ("how long do the withdrawal symptoms last", ["Withdrawal can include hallucinations and seizures."]),
])
def test_a_question_asking_for_a_quantity_that_no_chosen_sentence_holds(question, sentences):
    from bot.features import quantity_unmet
    from bot.question import question_forms

    assert quantity_unmet(question_forms(question), sentences)


@pytest.mark.parametrize("question, sentences", [
    ("how many finished it", ["Nine of the 10 patients completed the study."]),
    ("what share were drinking at low risk", ["About half of the patients were drinking at low risk."]),
    ("how long was the trial", ["Participants took baclofen or placebo for 12 weeks."]),
    ("what dose did they use", ["Participants were assigned to baclofen 60 mg a day."]),
    ("¿cuánto tiempo duró?", ["Treatment lasted 4 weeks in all."]),
    ("is baclofen addictive", ["Baclofen is a skeletal muscle relaxant."]),  # no quantity asked
    ("why did it not work", ["The trial found no difference."]),
])
def test_a_quantity_held_or_not_asked_is_not_unmet(question, sentences):
    from bot.features import quantity_unmet
    from bot.question import question_forms

    assert not quantity_unmet(question_forms(question), sentences)


def _signals_and_candidates(own_vector, own_weights):
    import numpy as np

    from bot.features import Candidates, QuestionSignals
    from bot.schema import Passage, Source

    text = "Retention was higher on baclofen. Side effects did not differ."
    passage = Passage("trial#0", Source("trial", "Trial", "https://example.org/trial", kind="study"), "", text, 0,
                      len(text), ((0, 33), (34, len(text))))
    earlier, new = np.eye(4, dtype=np.float32)[0], np.eye(4, dtype=np.float32)[1]
    candidates = Candidates([passage], [(0, 0), (0, 1)], np.vstack([earlier, new]),
                            [frozenset({"retent", "baclofen"}), frozenset({"side", "effect", "differ"})],
                            [frozenset(), frozenset()])
    joined = (earlier * 0.9 + new * 0.3) / np.linalg.norm(earlier * 0.9 + new * 0.3)
    signals = QuestionSignals(joined, joined, None, {"retent": 1.0, "side": 0.5}, {"retent": 1.0, "side": 0.5},
                              frozenset(), frozenset(), frozenset(), own_vector=own_vector(new),
                              own_weights=own_weights)
    return signals, candidates


def test_a_follow_up_is_also_read_in_its_own_words():
    """"what about side effects?" read with the earlier question leans to the earlier topic; its own words
    point at the sentence about side effects."""
    from bot.features import INDEX, sentence_features

    signals, candidates = _signals_and_candidates(lambda new: new, {"side": 1.0, "effect": 1.0})
    rows = sentence_features(signals, candidates)
    assert rows[0, INDEX["dense"]] > rows[1, INDEX["dense"]]  # the joined question prefers the old topic
    assert rows[1, INDEX["dense_own"]] > rows[0, INDEX["dense_own"]]  # its own words, the new one
    assert rows[1, INDEX["lexical_own"]] == 1.0 and rows[0, INDEX["lexical_own"]] == 0.0
    assert rows[1, INDEX["dense_own_gap"]] == 0.0
    assert (rows[:, INDEX["follow_up"]] == 1.0).all()  # the same for every candidate: for the calibration only


def test_a_question_that_stands_alone_is_its_own_words():
    import numpy as np

    from bot.features import INDEX, sentence_features

    signals, candidates = _signals_and_candidates(lambda new: None, {})
    rows = sentence_features(signals, candidates)
    assert np.allclose(rows[:, INDEX["dense_own"]], rows[:, INDEX["dense"]])
    assert np.allclose(rows[:, INDEX["lexical_own"]], rows[:, INDEX["lexical_context"]])
    assert (rows[:, INDEX["follow_up"]] == 0.0).all()


@pytest.mark.parametrize("follow_up", ["what about side effects", "and the dose?", "y los efectos secundarios?",
                                       "how long was it and how many finished",
                                       "how many finished it"])
def test_a_follow_up_read_with_an_earlier_question_keeps_its_own_words(follow_up):
    from bot.evidence import own_text
    from bot.question import shape_of

    assert own_text(shape_of(follow_up, "tell me about the assadi trial")) == follow_up
    assert own_text(shape_of(follow_up)) is None
