"""Evidence spans and question shapes: lists stay whole, back-references keep what they refer to, parts split."""
import pytest

from bot.index.splitting import split_document
from bot.question import question_parts, shape_of, without_exclusions
from bot.schema import Passage, Source
from bot.spans import span_around


def passage_of(body: str) -> Passage:
    chunk = split_document("doc", body, max_words=500)[0]
    return Passage(chunk.id, Source("doc", "Doc", "https://example.org/doc"), chunk.heading,
                   body[chunk.start:chunk.end], chunk.start, chunk.end,
                   tuple((s.start, s.end) for s in chunk.sentences))


def quoted(passage: Passage, index: int) -> str:
    return span_around(passage, index).text


def test_a_sentence_that_points_back_keeps_the_sentence_it_refers_to():
    p = passage_of("Baclofen was tested in 2000. It reduced craving in most patients. Dropout was low.")
    assert quoted(p, 1) == "Baclofen was tested in 2000. It reduced craving in most patients."
    assert quoted(p, 2) == "Dropout was low."


@pytest.mark.parametrize("opener", ["These", "However,", "The results of this trial", "Because of this,", "They"])
def test_every_kind_of_back_reference_keeps_its_antecedent(opener):
    p = passage_of(f"The trial enrolled 40 adults. {opener} showed a clear effect on drinking.")
    assert quoted(p, 1).startswith("The trial enrolled 40 adults.")


def test_a_list_keeps_its_introduction_and_every_item():
    p = passage_of("Other side effects include:\n\n- Upset stomach\n- Drowsiness\n- Insomnia\n")
    assert quoted(p, 0) == "Other side effects include:\n\n- Upset stomach\n- Drowsiness\n- Insomnia"


def test_an_introduction_keeps_the_sentence_that_lists_what_it_introduced():
    p = passage_of("There are also side effects to consider first. These side effects include difficulty "
                   "breathing, seizures, and suicidal ideation. Help should be obtained right away.")
    assert quoted(p, 0) == ("There are also side effects to consider first. These side effects include difficulty "
                            "breathing, seizures, and suicidal ideation.")


def test_a_sentence_ending_in_a_colon_keeps_what_follows():
    p = passage_of("The trial measured two outcomes: Abstinence rose to 50 percent. Craving fell by half.")
    assert quoted(p, 0) == "The trial measured two outcomes: Abstinence rose to 50 percent."


@pytest.mark.parametrize("question, parts", [
    ("How long did the trial last, and how many patients were in it?", 2),
    ("How many people were in BACLAD? What was the abstinence rate?", 2),
    ("what was the dose and how long did they take it", 2),
    ("cuantos pacientes participaron y cuanto tiempo duro", 2),
    ("Does baclofen help with alcohol and cocaine?", 1),
    ("What are the side effects of baclofen?", 1),
])
def test_questions_that_ask_several_things_are_split(question, parts):
    assert len(question_parts(question)) == parts


@pytest.mark.parametrize("question, forms", [
    ("How many patients took part?", {"how_many"}), ("How long did it last?", {"how_long"}),
    ("Who led the trial?", {"who"}), ("Why is therapy needed too?", {"why"}), ("Is it addictive?", {"yes_no"}),
    ("What are the withdrawal symptoms?", {"list", "what"}), ("When was it published?", {"when"}),
    ("Which doses were tested?", {"list", "what"}),
])
def test_question_forms_are_read_from_grammar(question, forms):
    assert forms <= shape_of(question).forms


@pytest.mark.parametrize("question, excluded", [
    ("Besides cravings, what else improved?", "cravings"), ("Apart from alcohol, what addictions was it tried for?",
                                                            "alcohol"),
    ("other than drowsiness what side effects are there", "drowsiness"), ("What improved?", ""),
])
def test_a_besides_clause_is_set_aside_as_presupposed(question, excluded):
    remaining, found = without_exclusions(question)
    assert found == excluded and (excluded == "" or excluded not in remaining)
