"""The chat tab's HTML: source cards with highlighted snippets, the source line under each
answer, and the messages a student sees instead of an error."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ingest.jobs import JobStatus
from rag.answer import QuestionError
from rag.answer.citations import MARKER, Citation
from rag.index.store import IndexMissingError
from rag.text import key_terms, tokenize
from webui.views.links import crumbs, note_href, safe_url

log = logging.getLogger("til.app")

CARD_CSS = """
.src-cards { display: flex; flex-direction: column; gap: 10px; }
.src-card { border: 1px solid var(--border-color-primary); border-radius: 10px;
  padding: 10px 12px; background: var(--background-fill-secondary); }
.src-head { font-weight: 600; line-height: 1.4; }
.src-n { color: var(--color-accent); margin-right: 2px; }
.src-date { font-size: 0.85em; font-weight: 400; color: var(--body-text-color-subdued);
  margin-left: 2px; }
.src-kind { font-size: 0.75em; font-weight: 400; padding: 1px 7px; margin-left: 4px;
  border-radius: 9px; border: 1px solid var(--border-color-primary); white-space: nowrap; }
.src-crumbs { font-size: 0.85em; color: var(--body-text-color-subdued); margin: 2px 0 6px; }
.src-snippet { white-space: pre-line; font-size: 0.9em; line-height: 1.55; }
.src-snippet mark { background: #fde68a; color: #111; padding: 0 2px; border-radius: 3px; }
.src-link { margin-top: 6px; font-size: 0.85em; word-break: break-all; }
.src-empty { color: var(--body-text-color-subdued); padding: 10px 4px; }
"""

NO_SOURCES_HTML = (
    '<div class="src-empty">답변의 출처가 여기에 표시됩니다. '
    "(Sources of the answer appear here.)</div>"
)
NOT_IN_NOTES_HTML = (
    '<div class="src-empty">노트에서 근거를 찾지 못했습니다. '
    "(No supporting source in the notes.)</div>"
)

_PARTICLE = re.compile(r"(?<=[가-힣]{2})(이란|란|은|는|이|가|을|를|의|에서|에|와|과|도|으로|로)$")


# =============================================================================== highlighting


def match_terms(question: str) -> list[str]:
    """Words of the question worth marking in a snippet (Kiwi content morphemes and key terms,
    the same analysis retrieval used), longest first so a long term wins over its prefix."""
    try:
        terms = set(key_terms(question)) | set(tokenize(question))
    except Exception:  # a tokenizer hiccup must not cost the student the sources panel
        log.exception("tokenize failed for highlighting")
        terms = set(question.split())
    # Kiwi sometimes keeps a particle on a short question's noun ("파드란?" -> 파드란).
    terms |= {_PARTICLE.sub("", t) for t in terms}
    # One-character Korean morphemes ("수", "것") would mark half the snippet.
    keep = {t.strip() for t in terms if len(t.strip()) >= 2}
    return sorted(keep, key=lambda t: (-len(t), t))


def highlight(text: str, terms: Iterable[str]) -> str:
    """``text`` as safe HTML with every occurrence of ``terms`` (case-insensitive) in <mark>.

    Matching runs on the raw text and each piece is escaped on its own, so a term can never
    match inside an entity like ``&lt;`` and markup in a note can never reach the page.
    """
    ordered = sorted({t for t in terms if t and t.strip()}, key=len, reverse=True)
    if not ordered:
        return html.escape(text)
    # A Latin term marks a word that starts with it, not letters inside another word ("os"
    # in "Hosted"); Hangul terms sit inside compounds ("파드" in "파드를").
    pattern = re.compile(
        "|".join(
            rf"(?<![A-Za-z0-9]){re.escape(t)}" if re.match(r"[A-Za-z0-9]", t) else re.escape(t)
            for t in ordered
        ),
        re.IGNORECASE,
    )
    out: list[str] = []
    pos = 0
    for match in pattern.finditer(text):
        out.append(html.escape(text[pos : match.start()]))
        out.append(f"<mark>{html.escape(match.group(0))}</mark>")
        pos = match.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


# =============================================================================== source cards


def citation_href(citation: Citation, corpus_dir: Path | None = None) -> str:
    if citation.url:
        return safe_url(citation.url)
    return note_href(citation.source, corpus_dir)


def link_html(href: str, label: str) -> str:
    """A link that opens in a new tab, or the label as code when there is nowhere to go."""
    label = html.escape(label)
    if not href:
        return f"<code>{label}</code>"
    return (
        f'<a href="{html.escape(href, quote=True)}" target="_blank" '
        f'rel="noopener noreferrer">{label}</a>'
    )


def source_card_html(citation: Citation, terms: list[str], corpus_dir: Path | None) -> str:
    c = citation
    path = " › ".join(highlight(p, terms) for p in crumbs(c.section))
    kind = "노트" if c.kind == "note" else "참고 자료"
    link = link_html(citation_href(c, corpus_dir), c.location)
    title = c.title or c.source
    day = c.day_beside(title)
    date = f'<span class="src-date">{html.escape(day)}</span> ' if day else ""
    return (
        f'<div class="src-card" id="src-{c.n}" data-n="{c.n}">'
        f'<div class="src-head"><span class="src-n">[{c.n}]</span> '
        f'<span class="src-title">{html.escape(title)}</span> {date}'
        f'<span class="src-kind src-kind-{html.escape(c.kind)}">{kind}</span></div>'
        f'<div class="src-crumbs">{path}</div>'
        f'<div class="src-snippet">{highlight(c.snippet, terms)}</div>'
        f'<div class="src-link">{link}</div></div>'
    )


def source_cards_html(
    citations: list[Citation],
    question: str = "",
    corpus_dir: Path | None = None,
    also: Iterable[str] = (),
) -> str:
    """One card per citation, numbered exactly as the answer's ``[n]`` markers; the question's
    words are marked, and ``also`` (the notes' spellings of them in the other script)."""
    if not citations:
        return NO_SOURCES_HTML
    terms = match_terms(question) if question else []
    terms += [t for t in also if len(t) >= 2 and t not in terms]
    cards = [source_card_html(c, terms, corpus_dir) for c in sorted(citations, key=lambda c: c.n)]
    return f'<div class="src-cards">{"".join(cards)}</div>'


def sources_footer(citations: list[Citation]) -> str:
    """A compact source list under each answer in the chat, so older answers' ``[n]`` stay
    readable after the cards panel has moved on to a newer answer."""
    if not citations:
        return ""
    parts = []
    for c in sorted(citations, key=lambda c: c.n):
        path = crumbs(c.section)
        label = path[-1] if path else c.title
        parts.append(f"[{c.n}] {label} (`{c.location}`)")
    return "\n\n<small>출처 · " + " · ".join(parts) + "</small>"


def cited_numbers(text: str) -> list[int]:
    """The distinct ``[n]`` markers of an answer, in order of first appearance."""
    seen: list[int] = []
    for match in MARKER.finditer(text):
        n = int(match.group(1))
        if n not in seen:
            seen.append(n)
    return seen


# =============================================================================== messages


def friendly_error(exc: BaseException, status: JobStatus | None = None) -> str:
    """A message for the student, never a traceback (that goes to the server log).

    ``status`` is the index job's: a missing index that is being built says so.
    """
    if isinstance(exc, QuestionError):
        return f"⚠️ {exc}"
    if isinstance(exc, IndexMissingError):
        if status is not None and status.running:
            pct = int(round(status.fraction * 100))
            return (
                f"⏳ 노트 색인을 만드는 중입니다 ({pct}%). 끝나면 다시 질문해 주세요. "
                "(The index is being built; ask again in a moment.)"
            )
        return (
            "⚠️ 아직 노트 색인이 없습니다. **노트 관리** 탭에서 **다시 색인**을 눌러 주세요. "
            "(No index yet: open the Library tab and press re-index.)"
        )
    return (
        "⚠️ 답변을 만드는 중 오류가 났습니다. 잠시 후 다시 시도해 주세요. "
        f"(Something went wrong: {type(exc).__name__})"
    )


def message_text(message: dict[str, Any]) -> str:
    """Text of a Chatbot message, whether its content is a string or a list of parts."""
    content = message.get("content", "")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text", "")) if isinstance(part, dict) else str(part) for part in content
        )
    return str(content)
