"""bot/web/render.py: answers as inert HTML, links only to corpus URLs, the answering sentences emphasized."""
from bot.schema import Answer, AnswerSentence, Citation
from bot.web.render import answer_html, branding, highlighted_passage, user_html


def test_visitor_text_is_escaped_and_never_becomes_a_link():
    rendered = user_html('<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>\nhi')
    assert "<script>" not in rendered and "<img" not in rendered and "&lt;script&gt;" in rendered
    assert "<a " not in rendered and "<br>hi" in rendered


def test_answer_html_links_only_corpus_urls_and_marks_the_quoted_span(corpus_bot):
    answer = corpus_bot.answer("What was the target dose in ALPADIR?")
    rendered = answer_html(answer)
    hrefs = {part.split('"')[0] for part in rendered.split('href="')[1:]}
    assert hrefs == {c.url for c in answer.citations}
    assert "<mark" in rendered and "<details>" in rendered and "not medical advice" in rendered


def test_the_sentences_that_carry_the_answer_are_emphasized_in_the_text_and_the_passage():
    text = "The trial lasted 12 weeks. It enrolled 80 people."
    first, second = (0, 26), (27, len(text))
    citation = Citation(n=1, title="T", url="https://example.org/t", quote=text, passage_id="d#0", start=0,
                        end=len(text), passage_text=text, passage_start=0, spans=(first, second), emphasis=(second,))
    answer = Answer(text=f"{text} [1]", citations=[citation], sentences=[
        AnswerSentence(text[:26], 1, "d#0", *first), AnswerSentence(text[27:], 1, "d#0", *second, emphasis=True)])
    rendered = answer_html(answer)
    assert '<strong class="key">It enrolled 80 people.</strong>' in rendered
    assert rendered.count("<strong") == 1 and "<p>The trial lasted 12 weeks." in rendered  # the other is plain
    passage = highlighted_passage(citation)
    assert passage.startswith("<mark>The trial") and '<mark class="key">It enrolled' in passage


def test_corpus_markup_is_escaped_in_answers_and_sources():
    text = "Bad <b>bold</b> & <script>x()</script>"
    citation = Citation(n=1, title="T <i>", url="https://example.org/a?b=1&c=2", quote=text, passage_id="d#0",
                        start=0, end=len(text), passage_text=text, passage_start=0, spans=((0, len(text)),))
    answer = Answer(text=f"{text} [1]", citations=[citation], sentences=[AnswerSentence(text, 1, "d#0", 0, len(text))])
    rendered = answer_html(answer)
    assert "<script>" not in rendered and "<b>bold" not in rendered and "&lt;b&gt;bold" in rendered
    assert "T &lt;i&gt;" in rendered and 'href="https://example.org/a?b=1&amp;c=2"' in rendered
    assert highlighted_passage(citation).startswith("<mark>Bad &lt;b&gt;")


def test_branding_overrides_accept_only_safe_values(fake_corpus_settings):
    brand = branding(fake_corpus_settings, {"accent": "#abcd", "phone": "call me", "position": "top",
                                            "name": "Center <b>", "unknown": "x"})
    assert brand["accent"] == fake_corpus_settings.accent_color  # 4 hex digits: not a colour (embed.js agrees)
    assert brand["phone"] == "" and brand["position"] == "bottom-right" and "unknown" not in brand
    assert brand["name"] == "Center <b>"  # kept as text; escaped where it is shown
    assert branding(fake_corpus_settings, {"accent": "#a1b2c3"})["accent"] == "#a1b2c3"
