"""The fitting commands keep held-out sets out of fitting, and read every evidence format the sets use."""
from __future__ import annotations

import numpy as np
import pytest

from bot.fit import HELD_OUT, _quote_text
from bot.fit import main as fit_answers
from bot.safety.fit import NEVER_CALIBRATE, choose_thresholds, load_calibrations


@pytest.mark.parametrize("name", HELD_OUT)
def test_the_answer_fit_refuses_the_blind_sets_still_held_out(tmp_path, name):
    held_out = tmp_path / name
    held_out.write_text('{"question": "is baclofen addictive", "answerable": true}\n', encoding="utf-8")
    with pytest.raises(SystemExit):
        fit_answers([str(held_out), "--out", str(tmp_path / "model.json")])
    assert not (tmp_path / "model.json").exists()


@pytest.mark.parametrize("split", sorted(NEVER_CALIBRATE))
def test_the_safety_fit_refuses_splits_kept_for_measuring(tmp_path, split):
    rows = tmp_path / "set.jsonl"
    rows.write_text(f'{{"question": "hi", "routes": ["answer"], "split": "{split}"}}\n', encoding="utf-8")
    with pytest.raises(SystemExit, match=split):
        load_calibrations([f"{rows}:{split}"])


def test_the_shipped_answer_model_was_fitted_on_the_default_sets_and_on_no_held_out_one():
    from bot.fit import DEFAULT_SETS
    from bot.scoring import AnswerModel

    sets = AnswerModel.load().fitted_on["sets"]
    assert sets == [path.name for path in DEFAULT_SETS]
    assert not set(sets) & set(HELD_OUT)


def test_evidence_is_read_as_plain_quotes_or_as_objects():
    assert _quote_text("Baclofen was designed to treat seizures.") == "Baclofen was designed to treat seizures."
    assert _quote_text({"text": "A quote.", "source": "x.md"}) == "A quote."
    assert _quote_text({"source": "x.md"}) == ""


def test_thresholds_are_the_lowest_reaching_the_best_recall_within_the_false_alarm_budget(monkeypatch):
    from bot.safety import fit

    monkeypatch.setitem(fit.FALSE_ALARM_BUDGET, "emergency", 0.04)
    # 4 messages need the route (p = .9 .8 .6 .3), 30 do not (p up to .5, one at .7)
    needed = np.array([True] * 4 + [False] * 30)
    negatives = [0.7] + [0.5] + [0.01 * i for i in range(28)]
    probabilities = np.array([0.9, 0.8, 0.6, 0.3] + negatives)
    hits = [{} for _ in needed]
    strict, lenient = choose_thresholds("emergency", probabilities, hits, needed)
    # budget 4% of 30 negatives = 1 false alarm: 0.6 keeps 3 of 4 with one false alarm (0.7); 0.3 would add 0.5
    assert strict == lenient == pytest.approx(0.6)
    care_strict, _ = choose_thresholds("dosing", probabilities, hits, needed)
    assert care_strict >= 0.5  # a care notice never goes below an even chance


def test_questions_are_split_by_the_language_the_bot_reads_them_in():
    from bot.fit import Example, in_english

    def example(question: str) -> Example:
        return Example({"question": question}, None, np.zeros(0), [], np.zeros(0), True, 0)  # type: ignore[arg-type]

    assert in_english(example("is baclofen addictive"))
    assert not in_english(example("el baclofeno es adictivo?"))
    assert not in_english(example("cuantas personas participaron en el estudio frances"))


def test_the_fitted_aggregation_learns_when_a_part_alone_is_no_sign():
    """Messages that need the route are alarming whole or in one part with a worried whole; calm ones have a
    calm whole and one alarming (likely, not certain) fragment. The highest of whole and parts cannot tell
    these apart; the fit can."""
    from bot.safety.fit import combined_probabilities
    from bot.safety.semantic import RouteModel

    rng = np.random.default_rng(7)
    whole, parts, needed = [], [], []
    for _ in range(60):
        for whole_mean, part_mean, needs in ((3.0, 2.5, True), (0.0, 2.5, True), (-4.0, 2.5, False)):
            whole.append(rng.normal(whole_mean, 0.5))
            parts.append([rng.normal(part_mean, 0.5)])
            needed.append(needs)
    needed_mask = np.array(needed)
    words = [30] * len(whole)
    model = RouteModel(np.zeros(2, dtype=np.float32), 0.0, 0.5, 0.5)
    _, highest = combined_probabilities("dosing", model, needed_mask, np.array(whole), parts, words)  # not fitted
    fitted, probabilities = combined_probabilities("crisis", model, needed_mask, np.array(whole), parts, words)
    assert fitted.aggregate is not None and len(fitted.aggregate) == 6
    assert highest[~needed_mask].min() > 0.6  # the highest: every calm message with an alarming fragment fires
    assert probabilities[needed_mask].min() > probabilities[~needed_mask].max()  # the fit separates them


def test_known_questions_point_at_the_sentences_that_answer_them(fake_corpus_settings):
    """Quotes find their sentence, `must` facts find the reference source's sentence holding the most of them,
    out-of-scope questions are kept with no sentence, and follow-ups (meaningless alone) are left out."""
    from helpers import FakeEmbedder

    from bot.fit import known_questions
    from bot.service import Bot

    index = Bot(fake_corpus_settings, embedder=FakeEmbedder()).index()
    article = "https://recoveryfirst.org/prescription-abuse/baclofen-addictive-or-treatment/"
    items = [
        {"question": "what was it first made for", "answerable": True, "_set": "a.jsonl",
         "evidence": [{"text": "Baclofen was originally designed to treat epileptic seizures."}]},
        {"question": "what can it be used with", "answerable": True, "_set": "b.jsonl",
         "must": [["peer support"], ["research-based therapies"]], "reference_sources": [article]},
        {"question": "how much does it cost", "answerable": False, "_set": "b.jsonl"},
        {"question": "and how long?", "answerable": True, "history": [{"role": "user", "content": "x"}],
         "evidence": ["Baclofen was originally designed to treat epileptic seizures."]},
    ]
    known = known_questions(index, items)
    assert known.questions == ["what was it first made for", "what can it be used with", "how much does it cost"]
    assert known.sets == ["a.jsonl", "b.jsonl", "b.jsonl"]
    assert known.sentences[0] == ("Baclofen was originally designed to treat epileptic seizures.",)
    assert len(known.sentences[1]) == 1 and "research-based therapies and peer support" in known.sentences[1][0]
    assert known.sentences[2] == ()
    assert known.joined == [False, False, False]


def test_follow_ups_are_known_as_the_bot_reads_them(fake_corpus_settings):
    """With a reader, a follow-up is kept with the text the bot scores for it, marked joined when the earlier
    question joined it: an out-of-scope follow-up is then a known unanswered question of its own kind."""
    from helpers import FakeEmbedder

    from bot.fit import follow_up_reader, known_questions
    from bot.service import Bot

    bot = Bot(fake_corpus_settings, embedder=FakeEmbedder())
    history = [{"role": "user", "content": "how long did the alpadir trial last"},
               {"role": "assistant", "content": "17 weeks at the full dose."}]
    items = [{"question": "how much did it cost them?", "answerable": False, "_set": "a.jsonl", "history": history},
             {"question": "was baclofen first made for epilepsy?", "answerable": False, "_set": "a.jsonl",
              "history": history}]
    reader = follow_up_reader(bot)
    known = known_questions(bot.index(), items, reader)
    for item, text, joined in zip(items, known.questions, known.joined, strict=True):
        shape = bot.question_texts(item["question"], bot.earlier_question(item["question"], history))[0]
        assert (text, joined) == (shape.scoring_text, shape.subject is not None)
    assert known.questions[0].endswith("(how long did the alpadir trial last)") and known.joined[0]


def test_calibration_messages_are_scored_by_a_model_that_never_saw_their_set():
    """Cross-fitting: a calibration set whose messages sit where no other message does is scored as the
    examples alone suggest (negative), not as its own labels would teach a model (positive)."""
    from bot.safety.fit import Calibration, fit_route, out_of_set_logits

    rng = np.random.default_rng(0)
    examples = np.vstack([rng.normal(-1, 0.3, (40, 3)), rng.normal(1, 0.3, (40, 3))])
    labels = np.array([False] * 40 + [True] * 40)
    odd = np.column_stack([rng.normal(-1, 0.1, 6), rng.normal(-1, 0.1, 6), rng.normal(4, 0.1, 6)])  # need it
    plain = rng.normal(-1, 0.3, (6, 3))
    rows = [{"question": "x", "routes": ["crisis"]}] * 6 + [{"question": "y", "routes": ["answer"]}] * 6
    calibration = Calibration(rows, np.vstack([odd, plain]), np.zeros((0, 3)), [], np.array([0] * 6 + [1] * 6))
    whole, parts = out_of_set_logits(examples, labels, calibration, "crisis", c=8.0)
    coef, intercept = fit_route(np.vstack([examples, calibration.vectors]),
                                np.concatenate([labels, calibration.needs("crisis")]), 8.0)
    in_sample = calibration.vectors[:6] @ coef + intercept
    assert (in_sample > 0).all() and (whole[:6] < in_sample).all()
    assert parts == [[] for _ in rows]


def test_a_subset_of_the_calibration_keeps_each_message_with_its_own_parts():
    from bot.safety.fit import Calibration, urgent_recall_and_false_alarms

    rows = [{"question": q, "routes": r} for q, r in
            [("a", ["crisis"]), ("b", ["answer"]), ("c", ["crisis", "emergency"]), ("d", ["dosing"])]]
    vectors = np.arange(8, dtype=np.float32).reshape(4, 2)
    parts = np.array([[10, 10], [20, 20], [30, 30]], dtype=np.float32)  # b has one part, c two
    calibration = Calibration(rows, vectors, parts, [1, 2, 2], np.array([0, 0, 1, 1]))
    kept = calibration.subset(np.array([False, True, True, False]))
    assert [r["question"] for r in kept.rows] == ["b", "c"]
    assert kept.owners == [0, 1, 1] and kept.part_vectors.tolist() == parts.tolist()
    assert kept.sets.tolist() == [0, 1] and kept.vectors.tolist() == vectors[1:3].tolist()
    shown = {"crisis": np.array([True, True]), "emergency": np.array([False, False])}
    # c needs both urgent notices and got one; b needed none and got 988
    assert urgent_recall_and_false_alarms(shown, kept) == (0, 1, 1, 1)


def _point(accuracy: float, precision: float, words: float = 60, **selection):
    from bot.fit import GridPoint
    from bot.scoring import Selection

    return GridPoint(Selection(**selection), accuracy, words, precision)


def test_span_selection_trades_at_most_one_standard_error_of_accuracy_for_citation_precision():
    from bot.fit import one_standard_error_choice

    best = _point(0.920, 0.94, other_source_min=0.3)
    # 1,600 answerable questions: one standard error of 0.92 is 0.0068
    within = _point(0.915, 0.97, other_source_min=0.7)
    beyond = _point(0.910, 0.99, other_source_min=1.01)
    assert one_standard_error_choice([best, within, beyond], 1600) is within
    # with 100 questions the error is 0.027: the most precise of all three is as good as the best
    assert one_standard_error_choice([best, within, beyond], 100) is beyond


def test_among_equally_precise_selections_the_shorter_wins_and_no_points_means_no_choice():
    from bot.fit import one_standard_error_choice

    long, short = _point(0.92, 0.95, words=75), _point(0.92, 0.95, words=60)
    assert one_standard_error_choice([long, short], 1600) is short
    assert one_standard_error_choice([], 1600) is None


def test_the_calibration_lifts_questions_whose_scores_run_lower_as_a_whole_but_rank_as_well():
    """Follow-ups (joined with an earlier question) score lower on every candidate, yet their best candidate
    answers as often. The ranker cannot see a signal that is the same for every candidate; the calibration
    reads it, so a follow-up's best sentence gets the probability its ranking deserves."""
    from bot.features import CALIBRATION_FEATURES, FEATURE_NAMES
    from bot.fit import Example, fit_sentences

    rng = np.random.default_rng(3)
    dense, follow_up = FEATURE_NAMES.index("dense"), FEATURE_NAMES.index("follow_up")
    examples = []
    for group in range(240):
        is_follow_up = group % 2 == 1
        matrix = np.zeros((6, len(FEATURE_NAMES)), dtype=np.float32)
        matrix[:, FEATURE_NAMES.index("bias")] = 1.0
        matrix[:, dense] = rng.normal(0.2, 0.05, 6) - (0.25 if is_follow_up else 0.0)
        answering = int(rng.integers(6))
        matrix[answering, dense] += 0.15  # the answering sentence stands out by the same margin in both kinds
        matrix[:, follow_up] = float(is_follow_up)
        labels = np.zeros(6, dtype=np.float32)
        labels[answering] = 1.0
        examples.append(Example({}, None, matrix, [], labels, True, group))  # type: ignore[arg-type]
    names = ("bias", "dense", *CALIBRATION_FEATURES)
    model = fit_sentences(examples, 10.0, names)
    assert model.weights.get("follow_up", 0.0) > 1.0
    best = {kind: np.mean([model.probabilities(e.whole, FEATURE_NAMES).max() for e in examples
                           if bool(e.whole[0, follow_up]) == kind]) for kind in (False, True)}
    assert abs(best[True] - best[False]) < 0.1  # without the shift, follow-ups' best would sit far lower
    without = fit_sentences(examples, 10.0, ("bias", "dense"))
    lowered = np.mean([without.probabilities(e.whole, FEATURE_NAMES).max() for e in examples if e.whole[0, follow_up]])
    assert lowered < best[True] - 0.1
