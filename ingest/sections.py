"""Markdown -> sections (heading hierarchy) made of blocks (paragraphs, list items, code, tables).

Shared by notes and fetched reference pages, so both are chunked by the same rules.
markdown-it-py does the parsing: `#` inside fenced code stays code, nested lists keep their
structure, and every block knows its line range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

from rag.text import CODE_FENCE, morphemes, normalize

# linkify: a bare URL in a note ("참고: https://...") is a link to fetch like [text](url);
# inside code it stays code. Only URLs with a scheme: fuzzy matching would turn "socket.io"
# or "next.config.js"-like words into links.
_md = MarkdownIt("commonmark", {"linkify": True}).enable(["table", "linkify"])
_md.linkify.set({"fuzzy_link": False, "fuzzy_email": False})

# A list item's first line, a bold line or a one-line callout is a label (a sub-heading) only
# when it is short; a long first line is a sentence and stays in its section.
MAX_LABEL_CHARS = 40

_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()\s]|\([^)]*\))*(?:\s+\"[^\"]*\")?\)")
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1|(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_CODE_SPAN = re.compile(r"`([^`]+)`")
# Obsidian: "[[useState]]", "[[React Hooks|훅 문서]]", "[[note#heading]]" read as their alias or
# target; an embed ("![[diagram.png]]") is no text. "==highlight==" is its words.
_WIKI_EMBED = re.compile(r"!\[\[[^\]\n]*\]\]")
# Not inside a path: "pages/book/[[...id]].tsx" is a Next.js file name.
_WIKILINK = re.compile(
    r"(?<![A-Za-z0-9_/.])\[\[([^\]|#\n]*)(?:#([^\]|\n]*))?(?:\|([^\]\n]+))?\]\]"
    r"(?![A-Za-z0-9_]|\.[A-Za-z])"
)
_HIGHLIGHT = re.compile(r"(?<![=\w])==(?=[^\s=])(.+?)(?<=[^\s=])==(?!=)")
# An Obsidian callout's first line: "> [!note] 제목", "> [!tip]- 접힌 제목".
_CALLOUT = re.compile(r"^\s*>\s?\[!([\w-]+)\][+-]?\s*(.*)$")
# A line of tags only ("#react #frontend"): metadata, not a sentence.
_TAG_LINE = re.compile(r"^\s*(?:#(?=[^\s#]*[A-Za-z가-힣])[^\s#]+\s*)+$")
# Notion exports callouts as <aside>...</aside> and toggles as <details>: the tags are
# wrappers, the lines between them are ordinary markdown of the section.
_WRAPPER_TAG = re.compile(r"^\s*</?(?:aside|details|summary|div|section)\b[^>]*>\s*$", re.I)
# A picture or a download is not a page to read ("이미지 출처: https://.../ingress.svg").
_MEDIA_URL = re.compile(
    r"\.(?:png|jpe?g|gif|svg|webp|bmp|ico|mp4|mov|webm|mp3|wav|zip|gz)(?:[?#].*)?$", re.I
)
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(?=\S)(.+?)(?<=\S)\1\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+(?:\[[ xX]\]\s+)?")
# An ordered item keeps its number in the text ("2. 캐시 확인": the order is content); only
# a label (a sub-heading) drops it.
ORDINAL = re.compile(r"^\s*\d{1,9}[.)]\s+(?:\[[ xX]\]\s+)?")
# "날짜: 2025-02-20 🤒 (comment)", "날짜: 2025 06-05", "날짜: " (blank): a date line, whatever
# follows; the digits are read loosely. Notion's property is "Created" ("Created time").
DATE_HEADING = re.compile(
    r"^\s*(?:날짜|일자|작성일|생성일|date|created(?:\s*(?:time|at|on))?)\s*[:：]", re.IGNORECASE
)
DATE_DIGITS = re.compile(r"(20\d{2})\D{1,3}(\d{1,2})\D{1,3}(\d{1,2})(?!\d)")


_STASH = re.compile("\ue000(\\d+)\ue000")  # a private-use mark no note contains

# HTML that editors and exporters leave in markdown (Notion writes <br> in table cells, blogs
# paste <img width=...>, templates carry <!-- comments -->): the words stay, the tags go.
# Only presentational tags: <p>, <div>, <h1> or <button> in a note are as often a JSX
# example written outside a code block, and a generic type ("Map<String, Object>") no tag.
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HTML_BREAK = re.compile(r"<br\s*/?>", re.I)
_HTML_DROP = re.compile(r"<img\b[^>]*>", re.I)
_HTML_INLINE = re.compile(
    r"</?(?:b|strong|i|em|u|s|del|ins|mark|span|font|sup|sub|small|big|kbd|center)\b[^>]*>", re.I
)
# A toggle's title (Notion, GitHub): "<summary>클로저(Closure)</summary>" heads what it folds.
_SUMMARY = re.compile(r"<summary\b[^>]*>(.*?)</summary>", re.I | re.S)
_DETAILS_END = re.compile(r"</details\s*>", re.I)
_ANY_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def strip_html(text: str) -> str:
    """Comments, line breaks, images and presentational tags of inline HTML removed."""
    text = _HTML_COMMENT.sub("", text)
    text = _HTML_BREAK.sub(" ", text)
    text = _HTML_DROP.sub("", text)
    return _HTML_INLINE.sub("", text)


def clean_inline(text: str) -> str:
    """Markdown inline syntax -> the words a reader sees (links keep their anchor text).
    Code spans are kept as written: `[a](b)` or `**kwargs` inside backticks is code."""
    codes: list[str] = []

    def stash(match: re.Match[str]) -> str:
        codes.append(match.group(1))
        return f"\ue000{len(codes) - 1}\ue000"

    text = _CODE_SPAN.sub(stash, text)
    text = strip_html(text)
    text = _WIKI_EMBED.sub("", text)
    text = _WIKILINK.sub(lambda m: (m.group(3) or m.group(1) or m.group(2) or "").strip(), text)
    text = _HIGHLIGHT.sub(lambda m: m.group(1), text)
    text = _IMAGE.sub("", text)
    text = _LINK.sub(lambda m: m.group(1), text)
    text = _AUTOLINK.sub(lambda m: m.group(1), text)
    text = _EMPHASIS.sub(lambda m: m.group(2) or m.group(3), text)
    text = _STASH.sub(lambda m: codes[int(m.group(1))], text)
    return normalize(text)


@dataclass
class Block:
    """A unit that is never split across two sections: paragraph, list item, code, table."""

    kind: str  # "paragraph" | "item" | "code" | "table" | "quote"
    text: str
    start_line: int  # 1-based, inclusive
    end_line: int
    # For a list item with nested children: its first line ("레플리카셋(ReplicaSet)"); the
    # children's sentences need it as their subject.
    label: str = ""
    children: list[str] = field(default_factory=list)
    info: str = ""  # a code block's language ("jsx"), from its fence


@dataclass
class Section:
    headings: tuple[str, ...]  # full heading path, as written (cleaned of markup)
    level: int
    blocks: list[Block] = field(default_factory=list)
    # Headed by a bold line or a one-line callout, not a markdown heading: never the title.
    pseudo: bool = False
    lines: tuple[int, int] = (0, 0)  # a pseudo-heading's own line range (1-based)


_SYMBOL_TAGS = frozenset({"SF", "SP", "SS", "SSO", "SSC", "SE", "SO", "SW", "SB", "W_EMOJI"})


def is_label(text: str) -> bool:
    """A term-like line ("레플리카셋(ReplicaSet)"), not a sentence or a clause that ends in a
    particle or verb ending ("... 필드는", "... 정의한다.")."""
    text = text.strip()
    if not text or len(text) > MAX_LABEL_CHARS or text[-1] in ".。!?:;,":
        return False
    # Punctuation and symbols say nothing; foreign words and numbers do ("var, let, const").
    tags = [tag for _, tag in morphemes(text) if tag not in _SYMBOL_TAGS]
    return bool(tags) and not tags[-1].startswith(("J", "E"))


def pseudo_heading(token_type: str, lines: list[str]) -> str:
    """The label a bold-only line ("**장점**") or a one-line callout ("> **요소**", "> 동시성
    관리") stands for, or "". Students use both as headings; a question heading ("... 이유?")
    counts, a sentence does not."""
    body = [ln for ln in lines if ln.strip()]
    if token_type == "blockquote_open":
        body = [b for b in (re.sub(r"^\s*>\s?", "", ln).strip() for ln in body) if b]
        if len(body) != 1:
            return ""
        match = _BOLD_LINE.match(body[0])
        label = match.group(2) if match else body[0]
    elif token_type == "paragraph_open":
        match = _BOLD_LINE.match(body[0]) if len(body) == 1 else None
        if not match or "**" in match.group(2):
            return ""
        label = match.group(2)
    else:
        return ""
    label = clean_inline(label)
    return label if is_label(label.rstrip("?？ ")) else ""


@dataclass
class Link:
    url: str
    text: str
    line: int


@dataclass
class ParsedMarkdown:
    sections: list[Section]
    links: list[Link]


_ONLY_LINK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[[^\]]*\]\([^)]*\)\s*$")


def _item_lines(lines: list[str]) -> list[str]:
    """An item's lines cleaned as text, except a fenced code block inside it, which keeps its
    lines as written (dedented to its fence, blank lines kept): cleaning would strip code's
    indentation and its ``*`` and ``_``, and each line would become a bullet of its own."""
    out: list[str] = []
    fence: str | None = None
    indent = 0
    for line in lines:
        opening = CODE_FENCE.match(line)
        if fence is None and opening:
            fence, indent = opening.group(1)[0] * 3, len(line) - len(line.lstrip())
            out.append(line.strip())
        elif fence is not None:
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                out.append(fence)
                fence = None
            else:
                out.append(line[min(indent, len(line) - len(line.lstrip())) :].rstrip())
        elif line.strip() and not _WRAPPER_TAG.match(line):
            cleaned = clean_inline(_BULLET.sub("", line))
            if cleaned:
                out.append(cleaned)
    if fence is not None:
        out.append(fence)  # an unclosed fence ends with its item
    return out


def _item_block(lines: list[str], start: int, end: int) -> Block:
    raw = [ln for ln in lines[start:end] if ln.strip() and not _WRAPPER_TAG.match(ln)]
    if raw and all(_ONLY_LINK.match(ln) for ln in raw):
        # A reading list: anchor texts, not statements; useful to search, poor to answer from.
        text = "\n".join(clean_inline(ORDINAL.sub("", _BULLET.sub("", ln))) for ln in raw)
        return Block("links", text, start + 1, end)
    cleaned = _item_lines(lines[start:end])
    children = cleaned[1:]
    label = cleaned[0] if cleaned else ""
    if children:
        label = ORDINAL.sub("", label)
    text = label if not children else label + "\n" + "\n".join(children)
    return Block("item", text, start + 1, end, label=label if children else "", children=children)


def parse_markdown(text: str, pseudo_headings: bool = True) -> ParsedMarkdown:
    """Sections and links of ``text``. ``pseudo_headings``: a bold line or a one-line callout
    heads what follows, as students use them in notes; a web page has real headings, and its
    bold lines are labels inside a section (kubernetes.io's tab names "Default", "GCP", "AWS"
    had become sections of their own, "Default" holding only "탭 중 하나를 선택")."""
    lines = text.splitlines()
    tokens = _md.parse(text)
    sections: list[Section] = [Section(headings=(), level=0)]
    # (level, title, pseudo): a pseudo-heading sits one level below the heading it follows
    # and lasts until the next heading of any kind.
    stack: list[tuple[int, str, bool]] = []
    toggles: list[int] = []  # stack depth at each open <details> toggle's title
    links: list[Link] = []

    def current() -> Section:
        return sections[-1]

    def settle() -> None:
        """A pseudo-heading with nothing under it was emphasis, not a heading: its text goes
        back to the section it was written in."""
        last = sections[-1]
        if last.pseudo and not last.blocks:
            sections.pop()
            start, end = last.lines
            sections[-1].blocks.append(Block("paragraph", last.headings[-1], start, end))

    def add_html_text(raw: str, span: tuple[int, int]) -> None:
        """The words of a piece of an HTML block, read as a whole HTML block is."""
        piece = raw.split("\n")
        block = _prose_block("html_block", piece, 0, len(piece))
        if block is not None:
            current().blocks.append(Block(block.kind, block.text, *span))

    def close_pseudo() -> None:
        """End the open pseudo-heading's section: what follows is its parent's again."""
        if stack and stack[-1][2]:
            settle()
            stack.pop()
            level = stack[-1][0] if stack else 0
            sections.append(Section(tuple(t for _, t, _ in stack), level))

    def open_pseudo(label: str, span: tuple[int, int]) -> None:
        """A pseudo-heading one level below the last real heading (it replaces an open one)."""
        settle()
        while stack and stack[-1][2]:
            stack.pop()
        level = (stack[-1][0] if stack else 0) + 1
        stack.append((level, label, True))
        sections.append(Section(tuple(t for _, t, _ in stack), level, pseudo=True, lines=span))

    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.level != 0 or tok.map is None:
            i += 1
            continue
        start, end = tok.map
        if tok.type == "heading_open":
            level = int(tok.tag[1])
            title = clean_inline(tokens[i + 1].content)
            settle()
            while stack and (stack[-1][2] or stack[-1][0] >= level):
                stack.pop()
            stack.append((level, title, False))
            sections.append(Section(tuple(t for _, t, _ in stack), level))
            i += 3
            continue
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            close = _matching_close(tokens, i)
            for j in range(i + 1, close):
                item = tokens[j]
                if item.type == "list_item_open" and item.level == 1 and item.map:
                    block = _item_block(lines, *item.map)
                    # An item with nothing left once cleaned ("- " and a control character)
                    # is no content: it must not keep a pseudo-heading above it a heading.
                    if block.text.strip():
                        current().blocks.append(block)
                elif item.type == "inline" and item.map:
                    links.extend(_links_of(item))
            i = close + 1
            continue
        if tok.type in ("fence", "code_block"):
            code = tok.content.rstrip()
            if code:
                lang = (tok.info or "").split()[0] if (tok.info or "").strip() else ""
                current().blocks.append(
                    Block("code", normalize_code(code), start + 1, end, info=lang)
                )
            i += 1
            continue
        if tok.type in ("paragraph_open", "blockquote_open", "table_open", "html_block"):
            close = _matching_close(tokens, i) if tok.nesting == 1 else i
            for j in range(i + 1, close):
                if tokens[j].type == "inline" and tokens[j].map:
                    links.extend(_links_of(tokens[j]))
            callout = _CALLOUT.match(lines[start]) if tok.type == "blockquote_open" else None
            if callout:
                # An Obsidian callout: its title heads its lines, as a one-line callout heads
                # the lines after it; without a title (or with a sentence) it is a quote.
                title = clean_inline(callout.group(2))
                body = _prose_block(tok.type, lines, start + 1, end)
                if title and is_label(title.rstrip("?？ ")):
                    open_pseudo(title, (start + 1, start + 1))
                elif title:
                    current().blocks.append(Block("quote", title, start + 1, start + 1))
                if body is not None:
                    current().blocks.append(body)
                # The callout's lines are all it holds: what follows is the parent's again.
                close_pseudo()
                i = close + 1
                continue
            html = "\n".join(lines[start:end]) if tok.type == "html_block" else ""
            toggle = _SUMMARY.search(html)
            if toggle or (toggles and _DETAILS_END.search(html)):
                # A <details> toggle: its title heads what it folds, and its content ends
                # with it, as a callout's does. Without blank lines the whole toggle is this
                # one block, so its text is read here too.
                opened = False
                tail = html
                if toggle:
                    head, tail = html[: toggle.start()], html[toggle.end() :]
                    if toggles and _DETAILS_END.search(head):
                        toggles.pop()
                        close_pseudo()
                    title = clean_inline(" ".join(toggle.group(1).split()))
                    if title and is_label(title.rstrip("?？ ")):
                        open_pseudo(title, (start + 1, end))
                        toggles.append(len(stack))
                        opened = True
                    elif title:
                        current().blocks.append(Block("paragraph", title, start + 1, end))
                ends = _DETAILS_END.search(tail)
                add_html_text(tail[: ends.start()] if ends else tail, (start + 1, end))
                if ends and (opened or (not toggle and toggles)):
                    toggles.pop()
                    close_pseudo()
                if ends:
                    add_html_text(tail[ends.end() :], (start + 1, end))
                i = close + 1
                continue
            label = pseudo_heading(tok.type, lines[start:end]) if pseudo_headings else ""
            if label:
                open_pseudo(label, (start + 1, end))
                i = close + 1
                continue
            block = _prose_block(tok.type, lines, start, end)
            if block is not None:
                current().blocks.append(block)
            i = close + 1
            continue
        i += 1
    settle()
    return ParsedMarkdown([s for s in sections if s.blocks or s.headings], links)


def _prose_block(token_type: str, lines: list[str], start: int, end: int) -> Block | None:
    """A paragraph, blockquote, table or HTML block as one block of cleaned text."""
    kind = {"blockquote_open": "quote", "table_open": "table"}.get(token_type, "paragraph")
    body = "\n".join(
        ln for ln in lines[start:end] if not _WRAPPER_TAG.match(ln) and not _TAG_LINE.match(ln)
    )
    if kind == "quote":
        body = re.sub(r"^\s*>\s?", "", body, flags=re.M)
    if kind != "table":
        # A soft line break inside a paragraph is a space: hard-wrapped sources (the
        # kubernetes.io pages) would otherwise split sentences in two.
        body = " ".join(line.strip() for line in body.splitlines())
    cleaned = clean_inline(body) if kind != "table" else normalize(strip_html(body))
    if token_type == "html_block" and not _ANY_TAG.sub("", cleaned).strip():
        return None  # markup with no words left ("<p align="center"><img ...></p>")
    return Block(kind, cleaned, start + 1, end) if cleaned else None


def normalize_code(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.splitlines())


def _matching_close(tokens: list[Token], i: int) -> int:
    depth = 0
    for j in range(i, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


def _links_of(inline: Token) -> list[Link]:
    found: list[Link] = []
    children = inline.children or []
    line = (inline.map[0] + 1) if inline.map else 0
    for k, child in enumerate(children):
        if child.type != "link_open":
            continue
        href = str(child.attrs.get("href", ""))
        text_parts = []
        for nxt in children[k + 1 :]:
            if nxt.type == "link_close":
                break
            text_parts.append(nxt.content)
        if href.startswith(("http://", "https://")) and not _MEDIA_URL.search(href):
            found.append(Link(href, normalize("".join(text_parts)), line))
    return found
