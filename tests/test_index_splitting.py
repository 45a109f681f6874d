"""Passages and sentences: offsets always cut the exact source text (property-tested)."""
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.index.splitting import LIST_ITEM, split_document, split_sentences

WORDS = st.sampled_from("baclofen craving dose trial patients mg alcohol Dr. e.g. U.S. reduced 60 the of a".split())
SENTENCE = st.builds(lambda words, end: " ".join(words).capitalize() + end,
                     st.lists(WORDS, min_size=1, max_size=14), st.sampled_from([".", "?", "!", ":", ""]))
PARAGRAPH = st.builds(" ".join, st.lists(SENTENCE, min_size=1, max_size=5))
ITEM = st.builds(lambda s: "- " + s, SENTENCE)
BLOCK = st.one_of(PARAGRAPH, st.builds("\n".join, st.lists(ITEM, min_size=1, max_size=5)),
                  st.builds(lambda h: "## " + h, SENTENCE))
DOCUMENT = st.builds(lambda blocks, sep: sep.join(blocks), st.lists(BLOCK, min_size=1, max_size=12),
                     st.sampled_from(["\n\n", "\n\n\n", "\r\n\r\n"]))


@settings(max_examples=300, deadline=None)
@given(DOCUMENT, st.integers(min_value=5, max_value=120))
def test_offsets_cut_the_exact_source_text(text, max_words):
    chunks = split_document("doc", text, max_words)
    previous_end = 0
    for number, chunk in enumerate(chunks):
        assert chunk.index == number and chunk.id == f"doc#{number}"
        assert 0 <= chunk.start < chunk.end <= len(text) and chunk.start >= previous_end
        passage = text[chunk.start:chunk.end]
        assert passage == passage.strip() and passage
        assert chunk.sentences and chunk.sentences[0].start == chunk.start and chunk.sentences[-1].end == chunk.end
        last = chunk.start
        for span in chunk.sentences:
            assert last <= span.start < span.end <= chunk.end  # ordered, non-overlapping, inside the passage
            sentence = text[span.start:span.end]
            assert sentence == sentence.strip() and not sentence.startswith("#")
            last = span.end
        previous_end = chunk.end


@settings(max_examples=200, deadline=None)
@given(DOCUMENT)
def test_every_non_heading_word_lands_in_some_sentence(text):
    covered = set()
    for chunk in split_document("doc", text, 40):
        for span in chunk.sentences:
            covered.update(range(span.start, span.end))
    for line_start, line in _lines(text):
        if line.strip() and not line.lstrip().startswith("#"):
            marker = LIST_ITEM.match(line)
            offset = line_start + (marker.end() if marker else len(line) - len(line.lstrip()))
            assert offset in covered, line


def _lines(text):
    offset = 0
    for line in text.splitlines(keepends=True):
        yield offset, line.rstrip("\r\n")
        offset += len(line)


def test_sentences_do_not_split_after_abbreviations_or_initials():
    text = "Dr. Smith R. V. used 68.2 mg, e.g. twice a day. The U.S. label agrees. Then it stopped."
    assert [text[s.start:s.end] for s in split_sentences(text)] == [
        "Dr. Smith R. V. used 68.2 mg, e.g. twice a day.", "The U.S. label agrees.", "Then it stopped."]


def test_short_list_joins_its_lead_in_sentence_as_one_unit():
    text = "# T\n\nFirst sentence. Side effects include:\n\n- Upset stomach\n- Depression\n"
    (chunk,) = split_document("d", text)
    units = [text[s.start:s.end] for s in chunk.sentences]
    assert units == ["First sentence.", "Side effects include:\n\n- Upset stomach\n- Depression"]


def test_long_list_items_split_into_their_own_sentences_and_headings_give_the_path():
    text = ("# Title\n\n## Research\n\n### Alcohol\n\n- Alcohol: Studies from 2000 showed potential for reducing "
            "craving in many people. A later study agreed.\n- Opioids: It was used in detox and maintenance of "
            "patients for twelve weeks. Retention improved.\n")
    chunks = split_document("d", text, title="Title")
    assert chunks[0].heading == "Research > Alcohol"
    assert [text[s.start:s.end] for s in chunks[0].sentences][1] == "A later study agreed."


def test_passages_respect_the_word_budget_and_never_cross_headings():
    text = "# A\n\n" + " ".join(f"Sentence number {i} is here." for i in range(40)) + "\n\n## B\n\nOther section."
    chunks = split_document("d", text, max_words=30)
    assert all(len(text[c.start:c.end].split()) <= 30 for c in chunks)
    assert chunks[-1].heading == "A > B" and text[chunks[-1].start:chunks[-1].end] == "Other section."
