"""Fetch the web pages that notes link to, extract their main text as markdown, cache on disk.

Design choices, and why:

* Redirects are followed by hand so that the scheme and the private-address rule are checked at
  every hop (a public page must not be able to bounce us to ``http://127.0.0.1:…``).
* Bodies are streamed and cut off past ``fetch_max_bytes``: a link to an ISO image must not fill
  memory.
* The cache is one JSON file per URL *as written in the note* (citations keep that URL; rewrites
  may change where it is fetched from). ETag / Last-Modified make re-ingestion cheap, and a
  cached copy is served when the network fails, because a stale page still answers questions.
* Extraction is trafilatura's markdown output plus two repairs found on the fixture pages:
  ``<dl>`` lists come out as alternating bullets (term, definition, term, …) and callout titles
  ("참고:", "Note:") come out as headings that cut a section in two.
"""

from __future__ import annotations

import codecs
import contextlib
import copy
import ipaddress
import re
import socket
import threading
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import lxml.html
from lxml import etree

from rag.config import Settings
from rag.index.pagecache import WebCache, now_iso
from rag.text import CONTROL_CHARS, normalize

# Bump when extraction changes: cache entries written by another version are refetched in full
# (no conditional headers), otherwise a 304 would keep serving text from the old extractor.
EXTRACTOR_VERSION = 1

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset({"text/plain"})
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})

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


@dataclass
class FetchResult:
    url: str  # as written in the note: citations keep it
    fetch_url: str  # after TIL_URL_REWRITES
    status: str  # "fetched" | "cached" | "failed"
    title: str = ""
    text: str = ""  # main text as markdown
    # Why it failed; on a "cached" result, the error that made us fall back to a stale copy.
    reason: str = ""
    final_url: str = ""
    fetched_at: str = ""  # ISO time of the last successful fetch or validation


class FetchError(Exception):
    """A fetch that did not produce a page; ``str(err)`` is the short reason shown to users."""


# --------------------------------------------------------------------------- URLs and hosts


def rewrite_url(url: str, rewrites: tuple[tuple[str, str], ...]) -> str:
    """Replace the longest matching prefix (a mirror or archive beats a broader rule)."""
    for src, dst in sorted(rewrites, key=lambda p: len(p[0]), reverse=True):
        if src and url.startswith(src):
            return dst + url[len(src) :]
    return url


def _is_blocked_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


def _check_url(url: str, allow_private: bool) -> None:
    """Raise :class:`FetchError` unless ``url`` is http(s) and (if required) a public host."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError as err:
        raise FetchError(f"invalid URL ({err})") from None
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise FetchError(f"unsupported scheme '{scheme or '(none)'}' (only http and https)")
    if not host:
        raise FetchError("invalid URL (no host)")
    try:
        infos = socket.getaddrinfo(host, port or (443 if scheme == "https" else 80))
    except (socket.gaierror, UnicodeError):
        raise FetchError("DNS lookup failed") from None
    if allow_private:
        return
    # Every address counts: a name that resolves to one public and one private address could
    # be connected to either. (A DNS answer that changes between this check and the connect
    # is not covered; that needs a resolver pinned into the transport.)
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            continue
        if _is_blocked_ip(ip):
            raise FetchError(f"private address {ip} blocked (set TIL_ALLOW_PRIVATE_HOSTS=1)")


# --------------------------------------------------------------------------- decoding


def _decode(body: bytes, declared: str | None) -> str:
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


def _normalize_markdown(markdown: str) -> str:
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
    return title, _normalize_markdown(markdown or "")


def _extract_plain(text: str) -> tuple[str, str]:
    body = normalize(text)
    first = next((line for line in body.splitlines() if line.strip()), "")
    return first[:200], body


# --------------------------------------------------------------------------- cache


# --------------------------------------------------------------------------- fetching


@dataclass
class _Download:
    final_url: str
    not_modified: bool = False
    body: bytes = b""
    content_type: str = ""
    charset: str | None = None
    etag: str = ""
    last_modified: str = ""


class PageFetcher:
    """Fetches pages with one shared ``httpx.Client``; safe to use from several threads."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.cache = WebCache(Path(settings.cache_dir) / "web")
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    # -- lifecycle

    def __enter__(self) -> PageFetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    @property
    def client(self) -> httpx.Client:
        # Created lazily: an offline run never opens a connection pool.
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    timeout=httpx.Timeout(self.settings.fetch.timeout),
                    follow_redirects=False,
                    headers={
                        "User-Agent": self.settings.fetch.user_agent,
                        "Accept": "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.5",
                    },
                )
            return self._client

    # -- public API

    def fetch(self, url: str) -> FetchResult:
        fetch_url = rewrite_url(url, self.settings.url_rewrites)
        cached = self.cache.load(url)
        if self.settings.offline:
            if cached:
                return self._from_cache(url, fetch_url, cached)
            return FetchResult(url, fetch_url, "failed", reason="offline and not cached")
        try:
            return self._fetch_online(url, fetch_url, cached)
        except FetchError as err:
            reason = str(err)
        except httpx.TimeoutException:
            reason = f"timeout after {self.settings.fetch.timeout:g}s"
        except httpx.HTTPError as err:
            reason = _describe_http_error(err)
        except Exception as err:  # one odd page must not abort an ingestion run
            reason = f"error: {type(err).__name__}: {err}"
        if cached:
            return self._from_cache(url, fetch_url, cached, reason=reason)
        return FetchResult(url, fetch_url, "failed", reason=reason)

    def fetch_many(self, urls: list[str], progress: bool = False) -> list[FetchResult]:
        """Results in the order of ``urls``; a URL given twice is fetched once."""
        from tqdm import tqdm

        unique = list(dict.fromkeys(urls))
        results: dict[str, FetchResult] = {}
        workers = max(1, min(self.settings.fetch.concurrency, len(unique) or 1))
        with (
            tqdm(total=len(unique), desc="web pages", unit="page", disable=not progress) as bar,
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool,
        ):
            futures = {pool.submit(self.fetch, u): u for u in unique}
            for future in as_completed(futures):
                results[futures[future]] = future.result()  # fetch() does not raise
                bar.update(1)
        return [results[u] for u in urls]

    # -- internals

    def _from_cache(
        self, url: str, fetch_url: str, entry: dict[str, Any], reason: str = ""
    ) -> FetchResult:
        return FetchResult(
            url=url,
            fetch_url=fetch_url,
            status="cached",
            title=entry.get("title") or "",
            text=entry["text"],
            reason=reason,
            final_url=entry.get("final_url") or "",
            fetched_at=entry.get("fetched_at") or "",
        )

    def _fetch_online(self, url: str, fetch_url: str, cached: dict[str, Any] | None) -> FetchResult:
        # Validators only mean something for the same resource from the same extractor.
        validators: dict[str, Any] | None = None
        if (
            cached
            and cached.get("fetch_url") == fetch_url
            and cached.get("extractor") == EXTRACTOR_VERSION
        ):
            validators = cached
        download = self._download(fetch_url, validators)
        if download.not_modified:
            if cached is None:  # a 304 we did not ask for
                raise FetchError("HTTP 304 without a cached copy")
            entry = dict(cached)
            entry["fetched_at"] = now_iso()
            entry["etag"] = download.etag or cached.get("etag") or ""
            entry["last_modified"] = download.last_modified or cached.get("last_modified") or ""
            self._save_quietly(entry)
            return self._from_cache(url, fetch_url, entry)

        decoded = _decode(download.body, download.charset)
        if download.content_type in TEXT_TYPES:
            title, text = _extract_plain(decoded)
        else:
            title, text = extract_page(decoded, download.final_url)
        if not text.strip():
            raise FetchError("no main text found")
        entry = {
            "url": url,
            "fetch_url": fetch_url,
            "final_url": download.final_url,
            "etag": download.etag,
            "last_modified": download.last_modified,
            "fetched_at": now_iso(),
            "title": title,
            "text": text,
            "extractor": EXTRACTOR_VERSION,
        }
        self._save_quietly(entry)
        return FetchResult(
            url=url,
            fetch_url=fetch_url,
            status="fetched",
            title=title,
            text=text,
            final_url=download.final_url,
            fetched_at=entry["fetched_at"],
        )

    def _save_quietly(self, entry: dict[str, Any]) -> None:
        # A full disk or read-only cache should cost the next run a refetch, not this page.
        with contextlib.suppress(OSError):
            self.cache.save(entry)

    def _download(self, fetch_url: str, cached: dict[str, Any] | None) -> _Download:
        settings = self.settings
        deadline = time.monotonic() + settings.fetch.timeout
        current = fetch_url
        seen: set[str] = set()
        validated_url = (cached.get("final_url") or fetch_url) if cached else ""
        for _hop in range(settings.fetch.max_redirects + 1):
            _check_url(current, settings.allow_private_hosts)
            seen.add(current)
            headers: dict[str, str] = {}
            if cached and current == validated_url:
                if cached.get("etag"):
                    headers["If-None-Match"] = cached["etag"]
                if cached.get("last_modified"):
                    headers["If-Modified-Since"] = cached["last_modified"]
            try:
                request = self.client.build_request("GET", current, headers=headers)
            except httpx.InvalidURL as err:
                raise FetchError(f"invalid URL ({err})") from None
            response = self.client.send(request, stream=True)
            try:
                status = response.status_code
                if status in REDIRECT_CODES:
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError(f"HTTP {status} without a Location header")
                    nxt = urljoin(current, location.strip())
                    if nxt in seen:
                        raise FetchError("too many redirects (redirect loop)")
                    current = nxt
                    continue
                if status == 304:
                    return _Download(
                        final_url=current,
                        not_modified=True,
                        etag=response.headers.get("etag", ""),
                        last_modified=response.headers.get("last-modified", ""),
                    )
                if status < 200 or status >= 300:
                    raise FetchError(f"HTTP {status}")
                content_type = _media_type(response.headers.get("content-type", ""))
                # No Content-Type at all: try it as HTML rather than refuse a likely page.
                if content_type and content_type not in HTML_TYPES | TEXT_TYPES:
                    raise FetchError(f"not HTML ({content_type})")
                body = self._read_capped(response, deadline)
                return _Download(
                    final_url=current,
                    body=body,
                    content_type=content_type or "text/html",
                    charset=response.charset_encoding,
                    etag=response.headers.get("etag", ""),
                    last_modified=response.headers.get("last-modified", ""),
                )
            finally:
                response.close()
        raise FetchError("too many redirects")

    def _read_capped(self, response: httpx.Response, deadline: float) -> bytes:
        limit = self.settings.fetch.max_bytes
        too_large = f"too large (> {limit} bytes)"
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            raise FetchError(too_large)
        chunks: list[bytes] = []
        total = 0
        # iter_bytes() decodes gzip/br, so the cap applies to what we hold in memory.
        for chunk in response.iter_bytes():
            total += len(chunk)
            if total > limit:
                raise FetchError(too_large)
            # The read timeout is per read: a server that trickles bytes would never trip it.
            if time.monotonic() > deadline:
                raise FetchError(f"timeout after {self.settings.fetch.timeout:g}s")
            chunks.append(chunk)
        return b"".join(chunks)


def _media_type(header: str) -> str:
    return header.split(";", 1)[0].strip().lower()


def _describe_http_error(err: httpx.HTTPError) -> str:
    if isinstance(err, httpx.ConnectError):
        text = str(err)
        if "Name or service not known" in text or "nodename nor servname" in text:
            return "DNS lookup failed"
        return "connection failed" + (f" ({text})" if text else "")
    if isinstance(err, httpx.RemoteProtocolError):
        return f"protocol error ({err})"
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
