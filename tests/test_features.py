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
