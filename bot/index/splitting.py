"""Split a document body into section-aware passages, and passages into sentences, keeping offsets.

Every span is a pair of character offsets into `CorpusDocument.text`, so `text[start:end]` is always the
exact source string: an answer quotes and highlights spans, it never rewrites them.

Rules, in order:
- Markdown headings (`#` .. `######`) open sections; a passage never crosses a heading and records the
  heading path ("Title > Section").
- Blocks are paragraphs (separated by blank lines) and lists. A list of short items (a side-effect list,
  say) together with the sentence that introduces it ("... include:") is one quotable unit, so an answer
  never shows a bare "Upset stomach".
- Blocks are packed into passages of at most `max_words` words; a longer block is cut at sentence ends.

Left out on purpose: tables, code blocks and nested lists get no special treatment (they split as text).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.index.records import passage_id

HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+\u2022]|\d{1,3}[.)])[ \t]+(?=\S)")
SENTENCE_END = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s)")
NEXT_STARTS_SENTENCE = re.compile(r"\s+[\"'\u201c\u2018(\[]?[A-Z0-9]")
ABBREVIATIONS = frozenset(
    "al e.g i.e vs dr mr mrs ms prof st no fig approx etc inc ltd jr sr u.s u.k ca cf resp mt dept vol".split()
)
SHORT_ITEM_WORDS = 12


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """A passage: a contiguous span of one section, with its sentence spans (all in document offsets)."""

    doc_id: str
    index: int
    heading: str
    start: int
    end: int
    sentences: tuple[Span, ...]

    @property
    def id(self) -> str:
        return passage_id(self.doc_id, self.index)


@dataclass
class _Block:
    start: int
    end: int
    units: list[Span]  # quotable sentence units inside the block


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence spans of text[start:end], trimmed, never splitting after abbreviations or initials."""
    end = len(text) if end is None else end
    spans, cursor = [], start
    for match in SENTENCE_END.finditer(text, start, end):
        if not NEXT_STARTS_SENTENCE.match(text, match.end()) or _ends_with_abbreviation(text, cursor, match.start()):
            continue
        spans.append(_trim(text, cursor, match.end()))
        cursor = match.end()
    spans.append(_trim(text, cursor, end))
    return [s for s in spans if s.end > s.start]


def _ends_with_abbreviation(text: str, lower: int, period_at: int) -> bool:
    if text[period_at] != ".":
        return False
    word = re.search(r"([A-Za-z][A-Za-z.]*)$", text[max(lower, period_at - 12):period_at])
    if not word:
        return False
    token = word.group(1).lower()
    return token in ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def _trim(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end)


def _lines(text: str):
    offset = 0
    for line in text.splitlines(keepends=True):
        content = line.rstrip("\r\n")
        yield offset, content
        offset += len(line)


def _sections(text: str):
    """Yield (heading_path, [(kind, start, end, content_start)]) for each section; kind is 'p' or 'li'."""
    path: list[tuple[int, str]] = []
    lines: list[tuple[str, int, int, int]] = []
    for offset, content in _lines(text):
        heading = HEADING.match(content)
        if heading:
            if lines:
                yield [h for _, h in path], lines
            lines = []
            level = len(heading.group(1))
            path = [(lvl, h) for lvl, h in path if lvl < level] + [(level, heading.group(2).strip())]
        elif not content.strip():
            lines.append(("blank", offset, offset, offset))
        else:
            item = LIST_ITEM.match(content)
            kind = "li" if item else "p"
            lines.append((kind, offset, offset + len(content), offset + (item.end() if item else 0)))
    if lines:
        yield [h for _, h in path], lines


def _blocks(text: str, lines) -> list[_Block]:
    """Group lines into paragraph and list blocks and work out their sentence units."""
    groups: list[tuple[str, list]] = []
    for kind, start, end, content_start in lines:
        last = groups[-1][0] if groups else None
        member = (start, end, content_start)
        if kind == "blank":
            groups.append(("blank", []))
        elif kind == "li" and last == "blank" and len(groups) > 1 and groups[-2][0] == "li":
            groups.pop()  # a loose list: items separated by blank lines stay one list
            groups[-1][1].append(member)
        elif kind == last and kind in ("li", "p"):
            groups[-1][1].append(member)
        elif kind == "p" and last == "li":  # a wrapped line continues the list item above it
            item_start, _, item_content = groups[-1][1][-1]
            groups[-1][1][-1] = (item_start, end, item_content)
        else:
            groups.append((kind, [member]))
    blocks: list[_Block] = []
    for kind, members in groups:
        if kind == "p":
            first, last = members[0], members[-1]
            blocks.append(_Block(first[2], last[1], split_sentences(text, first[2], last[1])))
        elif kind == "li":
            blocks.append(_list_block(text, members, blocks))
    return [b for b in blocks if b.units]


def _list_block(text: str, items, previous: list[_Block]) -> _Block:
    item_spans = [_trim(text, content_start, end) for _, end, content_start in items]
    short = all(len(text[s.start:s.end].split()) <= SHORT_ITEM_WORDS and len(split_sentences(text, s.start, s.end)) == 1
                for s in item_spans)
    if short and previous and text[previous[-1].units[-1].start:previous[-1].units[-1].end].endswith(":"):
        lead = previous.pop()  # the sentence that introduces the list joins it as one unit
        unit = Span(lead.units[-1].start, item_spans[-1].end)
        return _Block(lead.start, item_spans[-1].end, lead.units[:-1] + [unit])
    if short:
        return _Block(item_spans[0].start, item_spans[-1].end, [Span(item_spans[0].start, item_spans[-1].end)])
    units = [u for s in item_spans for u in split_sentences(text, s.start, s.end)]
    return _Block(item_spans[0].start, item_spans[-1].end, units)


def split_document(doc_id: str, text: str, max_words: int = 110, title: str = "") -> list[Chunk]:
    """All passages of one document body, in order, numbered from 0."""
    chunks: list[Chunk] = []
    for headings, lines in _sections(text):
        heading = " > ".join(h for h in headings if h != title) or title
        for units in _pack(_blocks(text, lines), text, max_words):
            chunks.append(Chunk(doc_id, len(chunks), heading, units[0].start, units[-1].end, tuple(units)))
    return chunks


def _pack(blocks: list[_Block], text: str, max_words: int):
    """Yield lists of sentence units, each list one passage of at most max_words (unless one unit is longer)."""
    current: list[Span] = []
    words = 0
    for block in blocks:
        block_words = len(text[block.start:block.end].split())
        pieces = [block.units] if block_words <= max_words else [[u] for u in block.units]
        for piece in pieces:
            piece_words = sum(len(text[u.start:u.end].split()) for u in piece)
            if current and words + piece_words > max_words:
                yield current
                current, words = [], 0
            current = current + piece
            words += piece_words
    if current:
        yield current
