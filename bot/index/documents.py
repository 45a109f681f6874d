"""Read corpus files into `CorpusDocument`s and validate their metadata.

Markdown (`.md`) and plain text (`.txt`) files start with a YAML front-matter block between `---` lines.
HTML files (`.html`, `.htm`) carry the same fields in `<meta name="bot:FIELD">` tags, falling back to
`<title>` and `<link rel="canonical">`, so a page saved from a website ingests as it is.

Offsets used everywhere downstream are into `CorpusDocument.text` (the body); `body_offset` maps them
back into the file for markdown and text files. Deliberately left out: PDF and DOCX (convert them to
markdown first), and markdown rendering (bodies are kept as written, so quotes are exact).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import yaml

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm")
KINDS = ("article", "study", "reference", "page")
REQUIRED_FIELDS = ("id", "title", "url", "kind")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,119}$")
DOI_PATTERN = re.compile(r"^10\.\d{4,9}/\S+$")
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


class CorpusFileError(ValueError):
    """A corpus file that cannot be ingested; the message names the file and the reason."""

    def __init__(self, path: Path, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


@dataclass(frozen=True)
class CorpusDocument:
    id: str
    path: Path
    text: str  # the body that passages and quotes are cut from
    meta: dict = field(default_factory=dict)  # validated front matter (id, title, url, kind, ...)
    body_offset: int = 0  # where `text` starts in the file, for markdown and text files
    sha256: str = ""  # of the raw file bytes, for incremental ingest

    @property
    def title(self) -> str:
        return self.meta["title"]

    @property
    def url(self) -> str:
        return self.meta["url"]


def find_corpus_files(corpus_dir: Path) -> list[Path]:
    """Every supported file under `corpus_dir`, sorted; README files document the corpus and are skipped."""
    if not corpus_dir.is_dir():
        raise FileNotFoundError(f"corpus directory not found: {corpus_dir}")
    return sorted(
        p for p in corpus_dir.rglob("*")
        if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
        and p.stem.lower() != "readme" and not any(part.startswith(".") for part in p.parts)
    )


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_document(path: Path) -> CorpusDocument:
    """Parse and validate one file; raises CorpusFileError with the reason."""
    raw = path.read_bytes()
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusFileError(path, f"not valid UTF-8 text (byte {exc.start})") from None
    if path.suffix.lower() in (".html", ".htm"):
        meta, body, offset = _parse_html(path, content)
    else:
        meta, body, offset = _parse_front_matter(path, content)
    meta = validate_metadata(path, meta)
    if not body.strip():
        raise CorpusFileError(path, "the document has no text after its front matter")
    return CorpusDocument(meta["id"], path, body, meta, offset, hashlib.sha256(raw).hexdigest())


def _parse_front_matter(path: Path, content: str) -> tuple[dict, str, int]:
    match = FRONT_MATTER.match(content)
    if not match:
        raise CorpusFileError(path, "missing front matter: the file must start with a '---' block "
                                    "holding id, title, url and kind")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (front matter line {mark.line + 1})" if mark else ""
        raise CorpusFileError(path, f"front matter is not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(meta, dict):
        raise CorpusFileError(path, "front matter must be a mapping of field: value")
    return meta, content[match.end():], match.end()


def validate_metadata(path: Path, meta: dict) -> dict:
    """Check required fields and shapes; return a cleaned copy with string values and an int year."""
    missing = [name for name in REQUIRED_FIELDS if not str(meta.get(name) or "").strip()]
    if missing:
        raise CorpusFileError(path, f"missing required field(s): {', '.join(missing)}")
    clean = {str(k): v for k, v in meta.items() if v is not None}
    for key in ("id", "title", "url", "kind", "doi", "pmid", "authors", "journal", "publisher"):
        if key in clean:
            clean[key] = _as_text(clean[key]).strip()
    if not ID_PATTERN.match(clean["id"]):
        raise CorpusFileError(path, f"id {clean['id']!r} must be lowercase letters, digits, '.', '_' or '-'")
    if clean["kind"] not in KINDS:
        raise CorpusFileError(path, f"kind {clean['kind']!r} must be one of: {', '.join(KINDS)}")
    _check_url(path, clean["url"])
    if clean.get("doi") and not DOI_PATTERN.match(clean["doi"]):
        raise CorpusFileError(path, f"doi {clean['doi']!r} does not look like a DOI (10.xxxx/...)")
    if "year" in clean:
        try:
            clean["year"] = int(clean["year"])
        except (TypeError, ValueError):
            raise CorpusFileError(path, f"year {clean['year']!r} is not a number") from None
        if not 1800 <= clean["year"] <= 2100:
            raise CorpusFileError(path, f"year {clean['year']} is out of range")
    return clean


def _as_text(value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _check_url(path: Path, url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or " " in url:
        raise CorpusFileError(path, f"url {url!r} must be an absolute http(s) address")


class _HTMLTextExtractor(HTMLParser):
    """Turn an HTML page into markdown-like text: headings become '#', list items '- '."""

    SKIP = {"script", "style", "nav", "footer", "header", "noscript", "template", "svg", "form"}
    BLOCKS = {"p", "div", "section", "article", "main", "br", "tr", "blockquote", "pre", "table"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.lines: list[str] = []
        self._current: list[str] = []
        self._prefix = ""
        self._skip_depth = 0
        self._in_title = False
        self._title: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.SKIP:
            self._skip_depth += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "meta":
            self._read_meta(attrs)
        elif tag == "link" and (attrs.get("rel") or "").lower() == "canonical" and attrs.get("href"):
            self.meta.setdefault("canonical", attrs["href"])
        elif re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self._prefix = "#" * int(tag[1]) + " "
        elif tag == "li":
            self._flush()
            self._prefix = "- "
        elif tag in self.BLOCKS:
            self._flush()

    def _read_meta(self, attrs: dict) -> None:
        name = (attrs.get("name") or attrs.get("property") or "").lower()
        content = attrs.get("content")
        if content is None:
            return
        if name.startswith("bot:"):
            self.meta[name[4:]] = content
        elif name == "og:url":
            self.meta.setdefault("og_url", content)
        elif name == "author":
            self.meta.setdefault("authors", content)

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag == "title":
            self._in_title = False
        elif re.fullmatch(r"h[1-6]", tag) or tag == "li" or tag in self.BLOCKS:
            self._flush()

    def handle_data(self, data):
        if self._in_title:
            self._title.append(data)
        elif not self._skip_depth:
            self._current.append(data)

    def _flush(self):
        text = re.sub(r"\s+", " ", "".join(self._current)).strip()
        if text:
            self.lines.append(self._prefix + text)
        self._current, self._prefix = [], ""

    def result(self) -> tuple[dict, str]:
        self._flush()
        meta = dict(self.meta)
        title = re.sub(r"\s+", " ", "".join(self._title)).strip()
        if title:
            meta.setdefault("title", title)
        for key in ("canonical", "og_url"):
            if key in meta:
                meta.setdefault("url", meta.pop(key))
        meta.pop("og_url", None)
        blocks, previous_was_item = [], False
        for line in self.lines:  # consecutive list items stay one block; everything else is a paragraph
            is_item = line.startswith("- ")
            blocks.append(("\n" if is_item and previous_was_item else "\n\n") + line)
            previous_was_item = is_item
        return meta, "".join(blocks).strip() + "\n"


def _parse_html(path: Path, content: str) -> tuple[dict, str, int]:
    extractor = _HTMLTextExtractor()
    extractor.feed(content)
    extractor.close()
    meta, body = extractor.result()
    meta.setdefault("id", _slug(path.stem))
    meta.setdefault("kind", "page")
    return meta, body, 0


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-._") or "page"
