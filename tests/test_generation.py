"""Optional generated answers (bot/generation/): each sentence verified against the spans it cites, and the
quoted answer whenever the site's model misbehaves. A real local server speaks the OpenAI chat-completions
protocol (tests/scripted_llm.py) and plays the model, through bot.answer(), /api/ask and the chat."""
import json
import logging
import subprocess
import sys
from dataclasses import replace

import anyio
import pytest
import scripted_llm as scripted
from fastapi.testclient import TestClient
from helpers import REPO, FakeEmbedder, chat_updates

from bot.eval.support import SupportJudge
from bot.generation.sentences import SentenceCutter, split_all
from bot.generation.verify import citations_of, numbers_in, verify
from bot.service import Bot
from bot.web.visitors import Visitors

QUESTION = "What was the target dose in the ALPADIR trial?"
SPANS = {1: "In the ALPADIR trial, 320 patients received baclofen up to 180 mg a day or placebo for 26 weeks. "
            "Baclofen did not beat placebo on abstinence.",
         2: "Baclofen can cause drowsiness, dizziness and weakness."}
BAD_REPLIES = ["changed_number", "uncited", "flipped_negation", "injected", "unknown_citation", "empty",
               "server_error", "malformed", "slow", "not_in_sources"]


# --- verification, one sentence at a time --------------------------------------------------------
@pytest.mark.parametrize(("sentence", "reason"), [
    ("In the ALPADIR trial, patients received up to 180 mg a day [1].", ""),
    ("Baclofen can cause drowsiness and dizziness. [2]", ""),
    ("In ALPADIR, 320 patients received baclofen or placebo for twenty-six weeks [1].", ""),
    ("In the ALPADIR trial, patients received up to 150 mg a day [1].", "number"),
    ("In the ALPADIR trial, 320 patients received baclofen for 12 weeks [1].", "number"),
    ("Baclofen beat placebo on abstinence [1].", "negation"),
    ("Baclofen cannot cause drowsiness, dizziness and weakness [2].", "negation"),
    ("Baclofen causes drowsiness.", "uncited"),
    ("Baclofen causes drowsiness [3].", "unknown citation"),
    ("Baclofen cures alcohol addiction in every patient [1].", "unsupported"),
])
def test_a_sentence_is_kept_only_when_its_cited_spans_back_it(sentence, reason):
    verdict = verify(sentence, SPANS, SupportJudge())
    assert verdict.reason == reason and verdict.kept == (reason == "")
    if verdict.kept:
        assert verdict.quotes and all(q in SPANS[1] + SPANS[2] for q in verdict.quotes)


def test_numbers_are_read_from_digits_and_words_alike():
    assert numbers_in("twenty-six weeks, 1,000 people, 2.5 mg, twice") == {26.0, 1000.0, 2.5, 2.0}
    assert citations_of("It helps [1, 3][2].") == ("It helps.", (1, 3, 2))


def test_streamed_text_is_released_only_as_whole_sentences_with_their_markers():
    cutter, released = SentenceCutter(), []
    for character in "Baclofen relaxes muscles [1]. It was tested at 2.5 mg. [2] Then":
        released += [(sentence, len(released)) for sentence in cutter.feed(character)]
    assert [s for s, _ in released] == ["Baclofen relaxes muscles [1].", "It was tested at 2.5 mg. [2]"]
    assert list(cutter.finish()) == ["Then"]
    assert split_all("- side effect one [1]\n- side effect two [2]") == ["- side effect one [1]",
                                                                         "- side effect two [2]"]


# --- through bot.answer() with a real OpenAI-compatible server ------------------------------------
@pytest.fixture
def llm():
    with scripted.ScriptedLLM() as server:
        yield server


@pytest.fixture
def llm_bot(fake_corpus_settings, loaded_gate, llm):
    settings = replace(fake_corpus_settings, llm_base_url=llm.url, llm_model="scripted", llm_timeout_s=2.5)
    return Bot(settings, embedder=FakeEmbedder())


def test_a_faithful_reply_is_shown_with_the_quotes_that_verified_each_sentence(llm_bot, llm):
    answer = llm_bot.answer(QUESTION)
    extractive = llm_bot.answer(QUESTION, generate=False)
    assert answer.mode == "generated" and answer.verified and not answer.generation["fallback"]
    by_n = {c.n: c for c in answer.citations}
    for sentence in answer.verified:
        assert sentence.cites and all(n in by_n for n in sentence.cites)
        assert all(any(q in by_n[n].quote for n in sentence.cites) for q in sentence.quotes)
    assert {c.quote for c in answer.citations} <= {c.quote for c in extractive.citations}
    [request] = llm.requests
    prompt = request["messages"][-1]["content"]  # the model saw the numbered spans and the question, only
    assert QUESTION in prompt and all(f"[{c.n}] " in prompt for c in extractive.citations)
    assert not any(p.text in prompt for p in extractive.passages if p.id not in
                   {c.passage_id for c in extractive.citations})
    record = answer.to_record()
    assert record["mode"] == "generated" and record["verified_sentences"][0]["quotes"]


@pytest.mark.parametrize("reply", BAD_REPLIES)
def test_a_reply_that_fails_verification_or_never_comes_gives_the_quoted_answer(llm_bot, llm, reply, caplog):
    llm.script = getattr(scripted, reply)
    extractive = llm_bot.answer(QUESTION, generate=False)
    with caplog.at_level(logging.WARNING, logger="bot.generation.writer"):
        answer = llm_bot.answer(QUESTION)
    assert answer.mode == "extractive" and answer.text == extractive.text and not answer.verified
    assert answer.generation["fallback"] and any("quotes instead" in r.message for r in caplog.records)
    assert "guaranteed" not in answer.text and "recovers within a week" not in answer.text


def test_a_bad_sentence_is_dropped_and_the_verified_rest_is_shown(llm_bot, llm):
    def mixed(sources, question):
        good = scripted.faithful(sources, question).text
        return scripted.Reply(good + " It is also completely harmless for everyone [1].")

    llm.script = mixed
    answer = llm_bot.answer(QUESTION)
    assert answer.mode == "generated" and "harmless" not in answer.text
    assert answer.generation["dropped"] and answer.generation["kept"] >= 1


def test_the_model_is_never_asked_about_a_crisis_an_emergency_or_a_personal_dose(llm_bot, llm):
    for message in ("i want to end my life", "my dad took 30 baclofen and wont wake up",
                    "how much baclofen should i take for my drinking"):
        answer = llm_bot.answer(message)
        assert answer.mode == "extractive" and answer.notices
    assert llm.requests == []


# --- the chat streams verified sentences; REST gets the finished answer ----------------------------
def chat_respond(bot):
    from bot.web.ui import build_chat

    chat = build_chat(Visitors(bot, bot.settings), bot.settings)
    return next(fn.fn for fn in chat.fns.values() if fn.fn and fn.fn.__name__ == "respond")


def test_the_chat_streams_only_verified_sentences(llm_bot, llm):
    def two_sentences_then_a_bad_one(sources, question):
        return scripted.Reply(scripted.faithful(sources, question).text
                              + " Baclofen is guaranteed to cure addiction [1].")

    llm.script = two_sentences_then_a_bad_one
    updates = chat_updates(chat_respond(llm_bot), QUESTION, [], [], {}, None)
    assert len(updates) >= 2  # at least one partial update before the final one
    for _, history, _, _ in updates:
        assert "guaranteed" not in history[-1]["content"]
    final = updates[-1][1][-1]["content"]
    assert 'class="generated"' in final and 'class="verified"' in final and "<blockquote>" in final


@pytest.mark.parametrize("reply", BAD_REPLIES)
def test_the_chat_shows_the_quotes_when_the_model_misbehaves(llm_bot, llm, reply):
    llm.script = getattr(scripted, reply)
    updates = chat_updates(chat_respond(llm_bot), QUESTION, [], [], {}, None)
    final = updates[-1][1][-1]["content"]
    assert 'class="generated"' not in final and 'class="cite"' in final
    assert not any("guaranteed" in u[1][-1]["content"] or "recovers within" in u[1][-1]["content"] for u in updates)


@pytest.mark.parametrize("reply", ["faithful", *BAD_REPLIES])
def test_rest_returns_the_verified_answer_or_the_quotes(llm_bot, llm, reply):
    from app import create_app

    llm.script = getattr(scripted, reply)
    mode = "generated" if reply == "faithful" else "extractive"
    with TestClient(create_app(llm_bot.settings, llm_bot)) as client:
        response = client.post("/api/ask", json={"question": QUESTION})
    record = response.json()
    assert response.status_code == 200 and record["mode"] == mode and record["citations"] and not record["refused"]
    assert bool(record["verified_sentences"]) == (mode == "generated")
    assert "guaranteed" not in record["answer"] and "recovers within" not in record["answer"]


def test_eval_llm_reports_fallbacks_and_dropped_sentences(llm_bot, llm, tmp_path, monkeypatch):
    from bot.eval import __main__ as eval_main
    from bot.eval.dataset import load_items

    scripts = iter([scripted.faithful, scripted.changed_number, scripted.server_error])
    llm.script = lambda sources, question: next(scripts)(sources, question)
    rows = [{"id": str(n), "question": QUESTION, "answerable": True} for n in range(3)]
    (tmp_path / "set.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    monkeypatch.setattr("bot.service.default_bot", lambda: llm_bot)
    items, _ = load_items(tmp_path / "set.jsonl")
    records, _ = eval_main.run(items, quiet=True, llm=True)
    summary = eval_main.write_outputs(tmp_path / "out", records)
    generation = summary["generation"]
    assert generation["asked"] == 3 and generation["fallback_rate"] == pytest.approx(2 / 3, abs=0.01)
    assert generation["dropped_by_reason"] == {"number": 1}
    assert "Generated answers" in (tmp_path / "out" / "report.html").read_text()


def test_without_llm_settings_no_llm_client_is_imported(fake_corpus_settings):
    script = (
        "import sys; sys.path.insert(0, 'tests')\n"
        "from helpers import FakeEmbedder\n"
        "from bot.settings import Settings\n"
        "from bot.service import Bot\n"
        f"bot = Bot(Settings(data_dir={str(fake_corpus_settings.data_dir)!r}, multilingual=False), "
        "embedder=FakeEmbedder())\n"
        "answer = bot.answer('What was the target dose in the ALPADIR trial?')\n"
        "assert answer.mode == 'extractive' and answer.generation is None and not answer.refused\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('openai', 'langchain_openai', 'bot.generation')]\n"
        "print(loaded)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_writer_runs_without_a_thread_for_rest(llm_bot, llm):
    """awrite (REST) and write (bot.answer) give the same verified answer."""
    extractive = llm_bot.answer(QUESTION, generate=False)
    written = anyio.run(llm_bot.writer.awrite, QUESTION, extractive)
    assert written.mode == "generated" and written.text == llm_bot.answer(QUESTION).text
