"""The first layer of the safety gate: every pattern catches its class and leaves its look-alikes alone."""
import pytest

from bot.safety.language import detect_language
from bot.safety.normalize import fold
from bot.safety.patterns import Strength, default_patterns, load_patterns, match_routes

PATTERNS = default_patterns()


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: f"{p.route}: {p.name}")
def test_each_pattern_matches_its_examples_and_not_its_counterexamples(pattern):
    assert pattern.examples, "every pattern documents members of its class"
    for example in pattern.examples:
        assert pattern.matches(fold(example)), example
    for counterexample in pattern.counterexamples:
        assert not pattern.matches(fold(counterexample)), counterexample


# Members of each class that appear nowhere in patterns.yaml: the patterns must generalize to them.
UNSEEN = {
    "crisis": ["honestly thinking about kms tonight", "my girlfriend keeps saying she wants to end her life",
               "i just wanna die at this point", "im so done, gonna end it", "no le encuentro sentido, quiero matarme",
               "she has been cutting herself again", "i dont want to be alive anymore",
               "my dad sent everyone a goodbye message last night", "mi hermano se despidio de todos por whatsapp",
               "my son gave away his dog and all his things this week", "my uncle gave his cats to a friend and "
               "stopped answering", "she keeps giving her things to her friends and thanking everyone",
               "mi papa regalo a su perro y dice que ya no lo va a necesitar"],
    "emergency": ["my brother took like 25 of my baclofen", "she swallowed a whole bottle of tablets an hour ago",
                  "i popped a handful of baclofen", "can't wake my grandpa up he took his pills",
                  "my husband is barely breathing after taking too many", "tomo treinta pastillas",
                  "mi mama se tomo todo el frasco de pastillas", "his lips are turning blue",
                  "my son is seeing spiders everywhere since he stopped", "she's hallucinating and burning up",
                  "estoy oyendo voces desde que deje el baclofeno", "mi esposo anda alucinando"],
    "interaction": ["can i mix baclofen with my oxy", "is it ok to drink wine on baclofen",
                    "baclofen and weed?", "es peligroso tomar cerveza con baclofeno"],
    "dosing": ["should i up my dose to 40 mg", "can my wife skip a dose tonight", "i forgot my dose can i double up",
               "debo bajar la dosis poco a poco"],
    "treatment": ["where can we find a detox program for my dad", "my son needs rehab, where do i start",
                  "necesito ayuda con mi adiccion al alcohol"],
}
LOOK_ALIKES = ["how many patients in the ALPADIR trial took baclofen", "what dose did the BACLAD study reach",
               "does baclofen withdrawal cause seizures", "how many people in the case report had withdrawal",
               "did baclofen reduce drinking in the Garbutt trial", "what was the maximum dose in the French study",
               "is baclofen a benzodiazepine", "which study used 30 mg a day", "what happened to cravings in the trial",
               "can withdrawal make you hallucinate", "did the man in the case report hear voices",
               "can i give my dog baclofen", "my mom gave me her old baclofen", "gave my cat her flea medicine"]


@pytest.mark.parametrize("route, message", [(r, m) for r, ms in UNSEEN.items() for m in ms])
def test_patterns_generalize_to_unseen_members_of_each_class(route, message):
    assert route in match_routes(fold(message))


@pytest.mark.parametrize("message", LOOK_ALIKES)
def test_research_questions_settle_no_urgent_route(message):
    hits = match_routes(fold(message))
    assert hits.get("crisis") is not Strength.SETTLES and hits.get("emergency") is not Strength.SETTLES


def test_words_that_research_questions_use_only_suggest_but_slang_and_intent_settle():
    """"overdose" and "suicidal" are in the sources (a side effect, a danger), so a question about them is left to
    the classifier at its lenient threshold; slang and first-person intent are never research wording."""
    assert match_routes(fold("what happens in a baclofen overdose"))["emergency"] is Strength.SUGGESTS
    assert match_routes(fold("can baclofen cause suicidal thoughts"))["crisis"] is Strength.SUGGESTS
    assert match_routes(fold("i feel suicidal"))["crisis"] is Strength.SUGGESTS
    for message in ("sewer slide is looking good rn", "i want to kill myself", "kms", "my son self harms"):
        assert match_routes(fold(message))["crisis"] is Strength.SETTLES


def test_fold_removes_accents_case_and_curly_quotes():
    assert fold("¿Tomé MUCHAS pastillas?  I’m scared") == "tome muchas pastillas? i'm scared"


def test_a_bad_pattern_file_names_the_route_and_pattern(tmp_path):
    bad = tmp_path / "patterns.yaml"
    bad.write_text("routes:\n  crisis:\n    - name: broken\n      pattern: '(unclosed'\n      match: [x]\n")
    with pytest.raises(ValueError, match="crisis.*broken"):
        load_patterns(bad)


@pytest.mark.parametrize("message, language", [
    ("¿El baclofeno es adictivo?", "es"), ("me quiero morir", "es"), ("mi papa no despierta", "es"),
    ("puedo tomar alcohol con baclofeno", "es"), ("que dosis usaron en el estudio", "es"), ("hola", "es"),
    ("Is baclofen addictive?", "en"), ("kms lol baclofen isnt working", "en"), ("no", "en"),
    ("took 30 baclofen pills what happens", "en"), ("ALPADIR dose?", "en"),
])
def test_language_is_read_from_word_frequencies(message, language):
    assert detect_language(message) == language
