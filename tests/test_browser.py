"""The widget and the chat in a real headless Chromium (Debian's), driven by Playwright. Marked slow."""
import html
import http.server
import threading
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from helpers import REPO, ServedApp, free_port

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


class StaticSite:
    """A pretend treatment-center site: examples/host.html on its own loopback port (another origin)."""

    def __init__(self, directory: Path, bot_url: str, port: int | None = None):
        directory.mkdir()
        html = (REPO / "examples" / "host.html").read_text().replace("http://127.0.0.1:7860", bot_url)
        (directory / "index.html").write_text(html)
        self.port = port or free_port()
        handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(directory), **k)  # noqa: E731
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.port}/"


@pytest.fixture
def sites(corpus_bot, tmp_path):
    from app import create_app

    allowed_port = free_port()
    settings = replace(corpus_bot.settings, allowed_origins=(f"http://127.0.0.1:{allowed_port}",))
    served = ServedApp(create_app(settings, corpus_bot))
    allowed = StaticSite(tmp_path / "allowed", served.url, port=allowed_port)
    other = StaticSite(tmp_path / "other", served.url)  # a site the operator never allowed
    yield served, allowed, other
    for site in (allowed, other):
        site.server.shutdown()
    served.stop()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


def test_widget_on_an_allowed_host_answers_with_citations(browser, sites):
    served, allowed, _ = sites
    page = browser.new_page(viewport={"width": 1200, "height": 860})
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(allowed.url)
    launcher = page.locator("[data-bot-widget] >> css=button.launcher")
    launcher.wait_for(timeout=15000)
    assert launcher.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(122, 62, 157)"  # data-accent
    assert "Georgia" not in launcher.evaluate("b => getComputedStyle(b).fontFamily")  # host CSS stays out
    assert launcher.get_attribute("aria-expanded") == "false"
    launcher.focus()
    page.keyboard.press("Enter")  # keyboard accessible
    assert launcher.get_attribute("aria-expanded") == "true"
    frame = page.frame_locator("[data-bot-widget] >> css=iframe")
    box = frame.locator("#question textarea")
    box.wait_for(timeout=30000)
    box.fill("How many patients were randomized in the ALPADIR study?")
    box.press("Enter")
    link = frame.locator(".answer a.cite").first
    link.wait_for(timeout=20000)
    assert link.get_attribute("href") == "https://doi.org/10.1093/alcalc/agx030"
    assert "320" in frame.locator(".answer").last.inner_text()
    frame.locator("details summary").last.click()
    assert "320 patients" in frame.locator("details mark").first.inner_text()
    box.press("Escape")  # inside the cross-origin iframe: the widget asks the host page to close it
    page.wait_for_function("() => document.querySelector('[data-bot-widget]').shadowRoot"
                           ".querySelector('.panel').classList.contains('open') === false", timeout=5000)
    origins = {url.split("/")[2] for url in requests if url.startswith("http")}
    assert origins <= {f"127.0.0.1:{allowed.port}", served.url.split("/")[2]}, origins  # nothing third-party


def test_a_host_that_is_not_allowed_gets_no_widget_and_cannot_frame_it(browser, sites):
    served, _, other = sites
    page = browser.new_page()
    messages = []
    page.on("console", lambda m: messages.append(m.text))
    page.goto(other.url)
    page.wait_for_timeout(2000)
    assert page.locator("[data-bot-widget]").count() == 0
    assert any("not allowed to embed" in m for m in messages)
    page.evaluate(f"() => {{ const f = document.createElement('iframe'); f.id = 'direct'; "
                  f"f.src = '{served.url}/widget/'; document.body.appendChild(f); }}")
    page.wait_for_timeout(3000)
    frame = page.frame_locator("#direct")
    assert frame.locator("#question").count() == 0  # frame-ancestors refused it


def test_markup_typed_into_the_chat_is_shown_not_run(browser, sites):
    served, _, _ = sites
    page = browser.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(served.url + "/")
    box = page.locator("#question textarea")
    box.wait_for(timeout=30000)
    attack = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> [click](javascript:alert(1))'
    box.fill(attack)
    box.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('.visitor').length > 0", timeout=20000)
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.__pwned") is None
    visitor = page.locator(".visitor").last
    assert "<script>" in visitor.inner_text() and visitor.locator("a, img, script").count() == 0
    assert {url.split("/")[2] for url in requests if url.startswith("http")} == {served.url.split("/")[2]}


def open_widget(page, site):
    page.goto(site.url)
    launcher = page.locator("[data-bot-widget] >> css=button.launcher")
    launcher.wait_for(timeout=15000)
    launcher.click()
    frame = page.frame_locator("[data-bot-widget] >> css=iframe")
    box = frame.locator("#question textarea")
    box.wait_for(timeout=30000)
    return frame, box


def test_a_spanish_crisis_message_gets_the_spanish_notice_in_the_widget(browser, sites, tmp_path):
    _, allowed, _ = sites
    page = browser.new_page(viewport={"width": 1200, "height": 860})
    frame, box = open_widget(page, allowed)
    box.fill("quiero morir, tomé muchas pastillas de baclofeno")
    box.press("Enter")
    notice = frame.locator(".notice").first
    notice.wait_for(timeout=30000)
    text = frame.locator(".answer").last.inner_text()
    assert "988" in text and "911" in text
    assert "llame" in text and "Línea" in text  # the Spanish notice, not the English one
    page.screenshot(path=str(tmp_path / "widget_spanish_crisis.png"))


def test_a_thumbs_down_clicked_in_the_chat_reaches_the_store_and_the_owners_report(browser, corpus_bot, tmp_path):
    from app import create_app

    settings = replace(corpus_bot.settings, feedback=True, data_dir=tmp_path / "data", rate_limit_per_min=0,
                       admin_token="owner-token-for-the-test")
    app = create_app(settings, corpus_bot)
    served = ServedApp(app)
    try:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(served.url + "/")
        box = page.locator("#question textarea")
        box.wait_for(timeout=30000)
        box.fill("What was the target dose in ALPADIR?")
        box.press("Enter")
        page.locator(".answer a.cite").first.wait_for(timeout=20000)
        dislike = page.locator('button[aria-label="Dislike"]').last
        dislike.wait_for(timeout=10000)
        dislike.click()
        from bot.feedback import FeedbackStore, default_url

        store = FeedbackStore(default_url(settings.data_dir), settings.feedback_days)
        deadline = 50
        while not store.votes() and deadline:
            page.wait_for_timeout(100)
            deadline -= 1
        [vote] = store.votes()
        assert vote.vote == -1 and vote.route == "answer" and "ALPADIR" in vote.question
        page.screenshot(path=str(tmp_path / "feedback.png"))
        report = httpx.get(served.url + "/admin", headers={"Authorization": "Bearer owner-token-for-the-test"})
        assert report.status_code == 200
        disliked = report.text.split("Answers visitors disliked", 1)[1].split("<h2>")[0]
        assert "What was the target dose in ALPADIR?" in disliked and html.escape(vote.quotes[0][:40]) in disliked
    finally:
        served.stop()


def test_the_widget_shows_a_verified_generated_answer_and_what_verified_it(browser, fake_corpus_settings,
                                                                           loaded_gate, tmp_path):
    import scripted_llm
    from helpers import FakeEmbedder

    from app import create_app
    from bot.service import Bot

    with scripted_llm.ScriptedLLM() as llm:
        def faithful_then_invented(sources, question):
            return scripted_llm.Reply(scripted_llm.faithful(sources, question).text
                                      + " Baclofen is guaranteed to cure every addiction [1].")

        llm.script = faithful_then_invented
        site_port = free_port()
        settings = replace(fake_corpus_settings, llm_base_url=llm.url, llm_model="scripted", llm_timeout_s=5.0,
                           allowed_origins=(f"http://127.0.0.1:{site_port}",))
        served = ServedApp(create_app(settings, Bot(settings, embedder=FakeEmbedder())))
        site = StaticSite(tmp_path / "site", served.url, port=site_port)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 860})
            frame, box = open_widget(page, site)
            box.fill("What was the target dose in the ALPADIR trial?")
            box.press("Enter")
            frame.locator(".answer .generated a.cite").first.wait_for(timeout=30000)
            answer = frame.locator(".answer").last
            assert "guaranteed" not in answer.inner_text()
            answer.locator("details.verified summary").click()
            quotes = answer.locator("details.verified blockquote")
            assert quotes.count() >= 1 and quotes.first.is_visible()
            page.screenshot(path=str(tmp_path / "widget_generated.png"))
        finally:
            site.server.shutdown()
            served.stop()
