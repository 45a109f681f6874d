"""Front matter validation: every problem is reported with the file name and the reason."""
from pathlib import Path

import pytest
from helpers import write_doc

from bot.index.documents import CorpusFileError, find_corpus_files, load_document


def test_valid_markdown_document_and_body_offset(tmp_path):
    path = write_doc(tmp_path, "ok.md", "# Heading\n\nBody text here.\n", year=2012, doi="10.1000/xyz")
    doc = load_document(path)
    assert doc.id == "ok" and doc.meta["year"] == 2012 and doc.meta["doi"] == "10.1000/xyz"
    raw = path.read_text(encoding="utf-8")
    assert raw[doc.body_offset:] == doc.text  # offsets into the body map back into the file


@pytest.mark.parametrize("meta, reason", [
    ({"url": None}, "missing required field(s): url"),
    ({"title": None, "kind": None}, "missing required field(s): title, kind"),
    ({"url": "recoveryfirst.org/page"}, "must be an absolute http(s) address"),
    ({"url": "javascript:alert(1)"}, "must be an absolute http(s) address"),
    ({"kind": "blog"}, "kind 'blog' must be one of"),
    ({"id": "Has Spaces"}, "must be lowercase letters"),
    ({"doi": "doi:10.1/x"}, "does not look like a DOI"),
    ({"year": "twenty"}, "year 'twenty' is not a number"),
])
def test_invalid_metadata_names_file_and_reason(tmp_path, meta, reason):
    path = write_doc(tmp_path, "bad.md", "Some text.\n", **meta)
    with pytest.raises(CorpusFileError) as error:
        load_document(path)
    assert str(path) in str(error.value) and reason in str(error.value)


def test_missing_front_matter_and_broken_yaml(tmp_path):
    plain = tmp_path / "plain.md"
    plain.write_text("# No front matter\n\nText.\n")
    with pytest.raises(CorpusFileError, match="missing front matter"):
        load_document(plain)
    broken = tmp_path / "broken.md"
    broken.write_text("---\ntitle: [unclosed\nurl: https://x.org\n---\nText.\n")
    with pytest.raises(CorpusFileError, match="not valid YAML"):
        load_document(broken)


def test_invalid_utf8_and_empty_body(tmp_path):
    binary = tmp_path / "binary.md"
    binary.write_bytes(b"---\nid: b\n---\n\xff\xfe\x00")
    with pytest.raises(CorpusFileError, match="not valid UTF-8"):
        load_document(binary)
    empty = write_doc(tmp_path, "empty.md", "   \n")
    with pytest.raises(CorpusFileError, match="no text"):
        load_document(empty)


def test_html_page_takes_title_canonical_link_and_meta_overrides(tmp_path):
    page = tmp_path / "Our Detox Program.html"
    page.write_text("""<html><head><title>Detox at Example</title>
        <link rel="canonical" href="https://example.org/detox"><meta name="bot:kind" content="article">
        <script>var tracking = 1;</script></head><body><nav>Home | About</nav>
        <h1>Detox</h1><p>Our program is <b>medically</b> supervised.</p><ul><li>Day one</li><li>Day two</li></ul>
        <footer>Copyright</footer></body></html>""")
    doc = load_document(page)
    assert (doc.id, doc.title, doc.url, doc.meta["kind"]) == ("our-detox-program", "Detox at Example",
                                                              "https://example.org/detox", "article")
    assert "medically supervised" in doc.text and "- Day one\n- Day two" in doc.text
    assert "tracking" not in doc.text and "Home" not in doc.text and "Copyright" not in doc.text


def test_html_without_a_url_is_rejected(tmp_path):
    page = tmp_path / "x.html"
    page.write_text("<title>T</title><p>Text.</p>")
    with pytest.raises(CorpusFileError, match="missing required field"):
        load_document(page)


def test_plain_text_file_with_front_matter(tmp_path):
    path = write_doc(tmp_path, "notes.txt", "First paragraph.\n\nSecond paragraph.\n")
    assert load_document(path).text.startswith("First paragraph.")


def test_corpus_listing_skips_readme_and_hidden_files(tmp_path):
    write_doc(tmp_path, "a.md", "Text.\n")
    write_doc(tmp_path, "README.md", "Docs.\n")
    write_doc(tmp_path, ".hidden/b.md", "Text.\n")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    assert [p.name for p in find_corpus_files(tmp_path)] == ["a.md"]


def test_shipped_corpus_is_valid_and_ids_are_unique():
    corpus = Path(__file__).resolve().parent.parent / "corpus"
    docs = [load_document(p) for p in find_corpus_files(corpus)]
    assert len(docs) >= 15 and len({d.id for d in docs}) == len(docs)
    studies = [d for d in docs if d.meta["kind"] == "study"]
    assert len(studies) >= 12
    for doc in studies:
        if doc.meta.get("doi"):
            assert doc.url == f"https://doi.org/{doc.meta['doi']}"
