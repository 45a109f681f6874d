"""Evidence spans and question shapes: lists stay whole, back-references keep what they refer to, parts split."""
import numpy as np
import pytest

from bot.compose import Scores, choose_spans
from bot.features import Candidates
from bot.index.splitting import split_document
from bot.question import question_parts, shape_of, without_exclusions
from bot.schema import Passage, Source
from bot.scoring import Selection
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


def _passage(doc: str, kind: str, body: str) -> Passage:
    chunk = split_document(doc, body, max_words=500)[0]
    return Passage(chunk.id, Source(doc, doc.title(), f"https://example.org/{doc}", kind=kind), chunk.heading,
                   body[chunk.start:chunk.end], chunk.start, chunk.end,
                   tuple((s.start, s.end) for s in chunk.sentences))


def _chosen_documents(article_scores: list[float], study_scores: list[float], **selection) -> list[str]:
    """The documents an answer quotes, best first, for sentence probabilities of an article and of a study."""
    article = _passage("article", "article", " ".join(f"Claim {i} about the drug." for i in range(len(article_scores))))
    study = _passage("trial", "study", " ".join(f"Result {i} of the trial." for i in range(len(study_scores))))
    passages = [article, study]
    rows = [(0, i) for i in range(len(article_scores))] + [(1, i) for i in range(len(study_scores))]
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(rows), 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    candidates = Candidates(passages, rows, vectors, [frozenset({f"w{r}"}) for r in range(len(rows))],
                            [frozenset()] * len(rows))
    scores = Scores(np.array(article_scores + study_scores, dtype=np.float32), [])
    spans, _ = choose_spans(scores, candidates, Selection(**{"extra_min": 0.99, "other_source_min": 1.01,
                                                             **selection}))
    return [span.passage.source.doc_id for span in spans]


@pytest.mark.parametrize("article, study, documents", [
    ([0.30, 0.05], [0.27, 0.02], ["article", "trial"]),  # the study says it nearly as well: both
    ([0.90, 0.10], [0.80], ["article", "trial"]),
    ([0.40, 0.05], [0.10, 0.05], ["article"]),  # the study does not answer: the article alone
    ([0.20], [0.45, 0.40], ["trial"]),  # a study is the best source already: no second one is added
])
def test_an_article_reporting_research_is_quoted_with_the_study_behind_it(article, study, documents):
    assert _chosen_documents(article, study, study_ratio=0.8) == documents


def test_without_a_study_ratio_an_article_stands_alone():
    assert _chosen_documents([0.30, 0.05], [0.29], study_ratio=1.01) == ["article"]


def _documents_for(scores_by_doc: dict[str, list[float]], named: frozenset[str], **selection) -> list[str]:
    """The documents an answer quotes, best first, for per-document sentence probabilities and named documents."""
    passages = [_passage(doc, "study", " ".join(f"Result {i} of {doc}." for i in range(len(values))))
                for doc, values in scores_by_doc.items()]
    rows = [(p, i) for p, values in enumerate(scores_by_doc.values()) for i in range(len(values))]
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(len(rows), 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    candidates = Candidates(passages, rows, vectors, [frozenset({f"w{r}"}) for r in range(len(rows))],
                            [frozenset()] * len(rows))
    scores = Scores(np.array([v for values in scores_by_doc.values() for v in values], dtype=np.float32), [])
    spans, _ = choose_spans(scores, candidates, Selection(**{"extra_min": 0.99, "other_source_min": 1.01,
                                                             "max_words": 200, **selection}), named)
    return [span.passage.source.doc_id for span in spans]


@pytest.mark.parametrize("scores_by_doc, named, documents", [
    # "which ran longer, alpadir or bacloville": both named trials, the better-scoring one first
    ({"alpadir": [0.2, 0.6], "bacloville": [0.3, 0.1], "other": [0.5]}, {"alpadir", "bacloville"},
     ["alpadir", "bacloville"]),
    # three named: each one, in the order of their best sentences; an unnamed document is never added
    ({"a": [0.7], "b": [0.2], "c": [0.4], "d": [0.65]}, {"a", "b", "c"}, ["a", "c", "b"]),
    # the best sentence is from an unnamed document: both named ones still follow it
    ({"x": [0.9], "a": [0.3], "b": [0.25]}, {"a", "b"}, ["x", "a", "b"]),
    # a named document whose best sentence is below the bar (a tenth of the best one's) is left out
    ({"a": [0.8], "b": [0.07]}, {"a", "b"}, ["a"]),
    # the bar is relative: a comparison's sentences all score low, each holding one side
    ({"a": [0.07], "b": [0.05]}, {"a", "b"}, ["a", "b"]),
    # one named document is not a comparison
    ({"a": [0.8], "b": [0.7]}, {"a"}, ["a"]),
])
def test_a_question_naming_several_documents_quotes_each_of_them(scores_by_doc, named, documents):
    assert _documents_for(scores_by_doc, frozenset(named), compared_ratio=0.1) == documents


def test_without_a_named_bar_a_comparison_quotes_its_best_document_only():
    assert _documents_for({"a": [0.8], "b": [0.7]}, frozenset({"a", "b"})) == ["a"]


def test_an_answer_quotes_each_compared_document_only_when_it_cites_them_all():
    from bot.compose import quotes_each
    a = span_around(_passage("alpadir", "study", "The trial lasted 17 weeks."), 0)
    b = span_around(_passage("bacloville", "study", "The trial lasted 12 months."), 0)
    compared = frozenset({"alpadir", "bacloville"})
    assert quotes_each(compared, [a, b]) and not quotes_each(compared, [a])
    assert not quotes_each(frozenset({"alpadir"}), [a]) and not quotes_each(frozenset(), [a, b])


def test_the_known_anchor_is_the_closest_known_question_any_quoted_sentence_answers():
    """The answer is every quoted span: when the best sentence answers no known question close to this one
    but the second quoted sentence does, the answer is anchored as firmly as if it came first."""
    import numpy as np

    from bot.compose import _known_anchor

    known = np.array([0.914, 0.924, 0.80, 0.95], dtype=np.float32)  # per candidate; row 3 is not quoted
    assert _known_anchor(known, [0, 1], best_row=0) == np.float32(0.924)
    assert _known_anchor(known, [0], best_row=0) == np.float32(0.914)
    assert _known_anchor(known, [], best_row=2) == np.float32(0.80)  # nothing quoted: the best sentence alone
    assert _known_anchor(None, [0], best_row=0) == 0.0 and _known_anchor(known, [0], best_row=-1) == 0.0
