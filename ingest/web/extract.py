"""Main text of a fetched page as markdown.

trafilatura's markdown output plus two repairs found on the fixture pages: ``<dl>`` lists
come out as alternating bullets (term, definition, term, …) and callout titles ("참고:",
"Note:") come out as headings that cut a section in two. Bodies are decoded by their declared
charset, a ``<meta charset>``, or UTF-8 with replacement.
"""

from __future__ import annotations

import codecs
import contextlib
import copy
import re
import unicodedata
from typing import Any

import lxml.html
from lxml import etree

from rag.text import CONTROL_CHARS, normalize

# Callout titles as kubernetes.io, Docusaurus, MkDocs, Sphinx etc. render them. Only with the
# colon: service.md has a real section heading "경고" (no colon) that must stay a heading.
CALLOUT_LABELS = frozenset(
    {
        "참고:",
        "주의:",
        "경고:",
        "노트:",
        "팁:",
        "중요:",
        "알림:",
        "정보:",
        "위험:",
        "note:",
        "notes:",
        "warning:",
        "caution:",
        "tip:",
        "hint:",
        "important:",
        "info:",
        "danger:",
        "attention:",
        "notice:",
    }
)
# Classes of heading elements that are callout titles whatever their text says.
CALLOUT_HEADING_CLASSES = ("alert-heading", "admonition-title", "callout-title")
_SHORT_LABEL = re.compile(r"^[^\s:]{1,12}:$")

_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_TRAILING_FENCE = re.compile(r"^(.*\S)[ \t]*(`{3,}|~{3,})[ \t]*$")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_BLANKS = re.compile(r"\n{3,}")


# --------------------------------------------------------------------------- decoding


def decode_body(body: bytes, declared: str | None) -> str:
    """Declared charset, else ``<meta charset>``, else UTF-8 (what almost every page is)."""
    if body.startswith(codecs.BOM_UTF8):
        return body[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    candidates = [declared]
    match = _META_CHARSET.search(body[:4096])
    if match:
        candidates.append(match.group(1).decode("ascii", errors="ignore"))
    for name in candidates:
        if not name:
            continue
        try:
            codecs.lookup(name)
        except LookupError:
            continue
        return body.decode(name, errors="replace")
    return body.decode("utf-8", errors="replace")


# --------------------------------------------------------------------------- extraction


def _squash(text: str) -> str:
    return " ".join(text.split())


def _flatten_definition_lists(root: Any) -> None:
    """``<dt>X</dt><dd>Y</dd>`` -> ``<p>X — Y</p>``, so term and definition stay together."""
    for dl in list(root.iter("dl")):
        parent = dl.getparent()
        if parent is None:
            continue
        box = lxml.html.Element("div")
        terms: list[str] = []
        defined = False
        for child in dl:
            if not isinstance(child.tag, str):
                continue
            if child.tag == "dt":
                if terms and defined:
                    terms, defined = [], False
                terms.append(_squash(child.text_content()))
            elif child.tag == "dd":
                para = lxml.html.Element("p")
                term = ", ".join(t for t in terms if t)
                definition = _squash(child.text_content())
                para.text = f"{term} — {definition}" if term else definition
                box.append(para)
                defined = True
        if terms and not defined:
            para = lxml.html.Element("p")
            para.text = ", ".join(terms)
            box.append(para)
        box.tail = dl.tail
        parent.replace(dl, box)


def _is_callout_label(text: str) -> bool:
    text = _squash(text)
    return text.lower() in CALLOUT_LABELS or bool(_SHORT_LABEL.match(text))


def _starts_with_callout(text: str) -> bool:
    label, _, rest = _squash(text).partition(" ")
    return bool(rest) and label.lower() in CALLOUT_LABELS


def _fold_callout_headings(root: Any) -> None:
    """Turn callout-title headings into text that leads the callout's first paragraph."""
    for heading in list(root.iter(*_HEADING_TAGS)):
        classes = heading.get("class", "")
        label = _squash(heading.text_content())
        if not (any(c in classes for c in CALLOUT_HEADING_CLASSES) or _is_callout_label(label)):
            continue
        nxt = heading.getnext()
        if nxt is not None and nxt.tag == "p" and not (heading.tail or "").strip():
            nxt.text = f"{label} {nxt.text or ''}"
            heading.drop_tree()
        else:
            for attr in list(heading.attrib):
                del heading.attrib[attr]
            heading.tag = "p"


class _Fences:
    """Tracks, line by line, whether markdown is inside a fenced code block."""

    def __init__(self) -> None:
        self.fence: str | None = None

    def in_code(self, line: str) -> bool:
        """True for a line inside a fence, its closing line included; an opening line opens
        the fence and is not code itself."""
        marker = _FENCE.match(line)
        if self.fence is not None:
            opener = self.fence
            if marker and marker.group(1)[0] == opener[0] and len(marker.group(1)) >= len(opener):
                self.fence = None
            return True
        if marker:
            self.fence = marker.group(1)
        return False


def _fold_markdown_callouts(lines: list[str]) -> list[str]:
    """Safety net for callout headings the HTML pass did not see (outside code fences)."""
    out: list[str] = []
    fences = _Fences()
    pending: str | None = None
    for line in lines:
        marker = _FENCE.match(line)
        if fences.in_code(line):
            out.append(line)
            continue
        heading = _MD_HEADING.match(line) if fences.fence is None else None
        if heading and _is_callout_label(heading.group(2)):
            pending = heading.group(2).strip()
            continue
        if heading and _starts_with_callout(heading.group(2)):
            # trafilatura sometimes glues the callout body onto its title: "#### 참고: 본문…"
            out.append(heading.group(2).strip())
            continue
        if pending is not None:
            if not line.strip():
                continue
            starts_block = bool(
                marker or _MD_HEADING.match(line) or re.match(r"^\s*([-*+]|\d+\.|\|)\s", line)
            )
            if starts_block:
                out.extend([pending, ""])
            else:
                line = f"{pending} {line.lstrip()}"
            pending = None
        out.append(line)
    if pending is not None:
        out.append(pending)
    return out


def _split_trailing_fences(lines: list[str]) -> list[str]:
    """``"text. ```"`` -> ``"text."`` + ``"```"``.

    trafilatura glues the opening fence of a ``<pre>`` inside a list item onto the item's text;
    left alone, every later fence pairs up wrongly and the next headings read as code.
    """
    out: list[str] = []
    fences = _Fences()
    for line in lines:
        if fences.in_code(line) or fences.fence is not None:
            out.append(line)
            continue
        glued = _TRAILING_FENCE.match(line)
        if glued:
            out.extend([glued.group(1).rstrip(), glued.group(2)])
            fences.fence = glued.group(2)
            continue
        out.append(line)
    return out


def normalize_markdown(markdown: str) -> str:
    """``normalize`` each line, but keep indentation (nested lists) and code blocks verbatim."""
    lines = _fold_markdown_callouts(_split_trailing_fences(markdown.splitlines()))
    out: list[str] = []
    fences = _Fences()
    for line in lines:
        if fences.in_code(line):
            # Code keeps its spacing; only NFC and control characters are cleaned.
            out.append(_clean_code_line(line))
            continue
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        body = normalize(line)
        out.append(indent + body if body else "")
    text = "\n".join(out)
    return _BLANKS.sub("\n\n", text).strip()


def _clean_code_line(line: str) -> str:
    # normalize() would collapse runs of spaces inside code; clean only what it must.
    return CONTROL_CHARS.sub(" ", unicodedata.normalize("NFC", line)).rstrip()


def _parse_html(html: str) -> Any:
    # Bytes plus an explicit parser encoding: lxml refuses str input that carries an XML
    # encoding declaration (XHTML pages do).
    parser = lxml.html.HTMLParser(encoding="utf-8")
    return lxml.html.fromstring(html.encode("utf-8"), parser=parser)


def _fallback_title(root: Any) -> str:
    for path in ("//h1", "//title"):
        found = root.xpath(path)
        if found:
            text = _squash(found[0].text_content())
            if text:
                return text
    return ""


def _strip_site_suffix(title: str, sitename: str) -> str:
    for sep in (" | ", " - ", " – ", " — "):
        if sitename and title.endswith(sep + sitename):
            return title[: -len(sep + sitename)].strip()
    return title


def extract_page(html: str, url: str) -> tuple[str, str]:
    """``(title, markdown)`` of a page's main content; ``("", "")`` when nothing is found."""
    import trafilatura  # slow import (~1 s): only pay it when a page is extracted

    if not html.strip():
        return "", ""
    try:
        root = _parse_html(html)
    except (etree.ParserError, ValueError):
        return "", ""
    _flatten_definition_lists(root)
    _fold_callout_headings(root)

    title = ""
    sitename = ""
    with contextlib.suppress(Exception):  # metadata is a nicety; never lose the text for it
        meta = trafilatura.extract_metadata(copy.deepcopy(root), default_url=url)
        title = (meta.title or "").strip() if meta else ""
        sitename = (meta.sitename or "").strip() if meta else ""
    if not title:
        title = _fallback_title(root)
    title = normalize(_strip_site_suffix(title, sitename))

    markdown = trafilatura.extract(
        root,
        url=url,
        output_format="markdown",
        include_formatting=True,
        include_tables=True,
        include_links=False,
        include_images=False,
        include_comments=False,
        # Recall over precision: a docs page is mostly content, and a lost section costs more
        # than a stray line of navigation.
        favor_recall=True,
        with_metadata=False,
        deduplicate=False,
    )
    return title, normalize_markdown(markdown or "")


def extract_plain(text: str) -> tuple[str, str]:
    body = normalize(text)
    first = next((line for line in body.splitlines() if line.strip()), "")
    return first[:200], body


# --------------------------------------------------------------------------- cache
