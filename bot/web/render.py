"""Answers and branding as HTML. Everything a visitor typed and every corpus string is escaped; the only links
in an answer are the citation URLs that came from the corpus front matter. Sentences that carry the answer
are shown in bold, and inside the quoted passage with a stronger mark."""
from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

from bot.schema import Answer, Citation, Route
from bot.settings import Settings

if TYPE_CHECKING:
    from gradio.components.chatbot import MessageDict

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$")  # embed.js applies the same rule
PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{4,22}$")
SAFETY_FOOTER = ("Educational information from cited sources, not medical advice. In a crisis call or text "
                 "<b>988</b>; in an emergency call <b>911</b>.")


def escape_text(text: str) -> str:
    """Visitor or corpus text as inert HTML: escaped, line breaks kept, list bullets shown as bullets."""
    lines = [html.escape(line, quote=True) for line in text.split("\n")]
    lines = ["&bull; " + line[2:] if line.startswith("- ") else line for line in lines]
    return "<br>".join(lines)


def user_html(text: str) -> str:
    return f'<div class="visitor">{escape_text(text)}</div>'


def answer_html(answer: Answer) -> str:
    """One HTML block: notices, sentences with [n] links, the disclaimer, and a collapsible Sources list."""
    parts = [f'<div class="notice">{escape_text(n)}</div>' for n in answer.notices]
    if answer.verified:
        parts.append(generated_html(answer))
    elif answer.sentences:
        by_n = {c.n: c for c in answer.citations}
        body = " ".join(_sentence_html(s.text, s.emphasis) + _cite_link(by_n[s.n]) for s in answer.sentences)
        parts.append(f"<p>{body}</p>")
    elif not answer.notices or answer.route in (Route.REFUSED, Route.INVALID):
        parts.append(f'<p class="refusal">{escape_text(_body_without_notices(answer))}</p>')
    if answer.disclaimer:
        parts.append(f'<div class="disclaimer">{html.escape(answer.disclaimer)}</div>')
    if answer.citations:
        parts.append(sources_html(answer.citations))
    return '<div class="answer">' + "".join(parts) + "</div>"


def generated_html(answer: Answer) -> str:
    """Sentences the site's model wrote, each with its [n] links, then what verified each one (collapsed):
    the source sentences it was checked against."""
    by_n = {c.n: c for c in answer.citations}
    body = " ".join(escape_text(v.text) + "".join(_cite_link(by_n[n]) for n in v.cites if n in by_n)
                    for v in answer.verified)
    checks = "".join(f"<li>{escape_text(v.text)}" + "".join(f"<blockquote>{escape_text(q)}</blockquote>"
                                                             for q in v.quotes) + "</li>" for v in answer.verified)
    return (f'<p class="generated">{body}</p><details class="verified"><summary>Written by a language model; '
            f"each sentence was checked against these quotes</summary><ol>{checks}</ol></details>")


def _sentence_html(text: str, emphasis: bool) -> str:
    return f'<strong class="key">{escape_text(text)}</strong>' if emphasis else escape_text(text)


def _body_without_notices(answer: Answer) -> str:
    text = answer.text
    for notice in answer.notices:
        text = text.replace(notice, "")
    return text.strip()


def _cite_link(citation: Citation) -> str:
    return (f'<a class="cite" href="{html.escape(citation.url, quote=True)}" target="_blank" '
            f'rel="noopener noreferrer" title="{html.escape(citation.title, quote=True)}">[{citation.n}]</a>')


def sources_html(citations: list[Citation]) -> str:
    items = []
    for c in citations:
        link = (f'<a href="{html.escape(c.url, quote=True)}" target="_blank" rel="noopener noreferrer">'
                f'{html.escape(c.url)}</a>')
        section = f" &middot; {html.escape(c.heading)}" if c.heading and c.heading != c.title else ""
        items.append(f'<li><span class="source-title">[{c.n}] {html.escape(c.title)}</span>{section}'
                     f"<blockquote>{highlighted_passage(c)}</blockquote>{link}</li>")
    return f'<details><summary>Sources ({len(citations)})</summary><ol class="sources">{"".join(items)}</ol></details>'


def highlighted_passage(citation: Citation) -> str:
    """The cited passage, escaped, with exactly the quoted sentences wrapped in <mark> (class "key" for the
    sentences that carry the answer)."""
    text, base, out, cursor = citation.passage_text, citation.passage_start, [], 0
    key = set(citation.emphasis)
    for start, end in sorted(citation.spans):
        out.append(escape_text(text[cursor:start - base]))
        mark = '<mark class="key">' if (start, end) in key else "<mark>"
        out.append(f"{mark}{escape_text(text[start - base:end - base])}</mark>")
        cursor = end - base
    out.append(escape_text(text[cursor:]))
    return "".join(out)


def greeting_message(text: str) -> MessageDict:
    return {"role": "assistant", "content": f'<div class="answer"><p>{html.escape(text)}</p></div>'}


def branding(settings: Settings, overrides: dict | None = None) -> dict:
    """Center name, greeting, accent colour, logo, phone and call to action: settings first, then the safe
    `data-` overrides a host page passes (validated; anything else is ignored)."""
    brand = {"name": settings.center_name, "greeting": settings.greeting, "accent": settings.accent_color,
             "logo": settings.logo_url, "phone": settings.admissions_phone, "cta": settings.call_to_action,
             "position": settings.widget_position}
    for key, value in (overrides or {}).items():
        value = str(value).strip()[:200]
        if key in ("name", "greeting", "cta") and value:
            brand[key] = value
        elif key == "accent" and HEX_COLOUR.match(value):
            brand[key] = value
        elif key == "phone" and PHONE.match(value):
            brand[key] = value
        elif key == "position" and value in ("bottom-right", "bottom-left"):
            brand[key] = value
    return brand


def header_html(brand: dict, compact: bool) -> str:
    """The page heading (full page) or just the call-to-action line (widget: its panel bar shows the name)."""
    esc = html.escape
    call = ""
    if brand["phone"]:
        digits = re.sub(r"[^0-9+]", "", brand["phone"])
        call = (f'<a class="cta" href="tel:{esc(digits, quote=True)}">{esc(brand["cta"])}: '
                f'{esc(brand["phone"])}</a>')
    if compact:
        return f'<div class="brand compact" style="--accent:{esc(brand["accent"], quote=True)}">{call}</div>'
    return (f'<div class="brand" style="--accent:{esc(brand["accent"], quote=True)}"><h2>{esc(brand["name"])}</h2>'
            f"<p>Answers quoted from cited sources about baclofen and addiction treatment.</p>{call}</div>")
