"""Fetch the pages that notes link to, with caps, and cache them.

* Redirects are followed by hand so that the scheme and the private-address rule are checked at
  every hop (``ingest.web.urls``).
* Bodies are streamed and cut off past ``settings.fetch.max_bytes``: a link to an ISO image
  must not fill memory.
* The cache is one JSON file per URL *as written in the note* (citations keep that URL; rewrites
  may change where it is fetched from). ETag / Last-Modified make re-ingestion cheap, and a
  cached copy is served when the network fails, because a stale page still answers questions.
"""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urljoin

import httpx

from ingest.web.errors import FetchError
from ingest.web.extract import decode_body, extract_page, extract_plain
from ingest.web.transport import deadline, guarded_transport
from ingest.web.urls import check_url, rewrite_url
from rag.config import Settings
from rag.index.pagecache import WebCache, now_iso

# Bump when extraction changes: cache entries written by another version are refetched in full
# (no conditional headers), otherwise a 304 would keep serving text from the old extractor.
EXTRACTOR_VERSION = 1

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset({"text/plain"})
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


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
                    transport=guarded_transport(self.settings.allow_private_hosts),
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

        decoded = decode_body(download.body, download.charset)
        if download.content_type in TEXT_TYPES:
            title, text = extract_plain(decoded)
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
        end = time.monotonic() + settings.fetch.timeout
        current = fetch_url
        seen: set[str] = set()
        validated_url = (cached.get("final_url") or fetch_url) if cached else ""
        for _hop in range(settings.fetch.max_redirects + 1):
            check_url(current, settings.allow_private_hosts)
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
            with deadline(end):
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
                with deadline(end):
                    body = self._read_capped(response, end)
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
