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
