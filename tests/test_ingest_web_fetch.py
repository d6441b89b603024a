"""ingest/web/fetch.py against real HTTP servers on 127.0.0.1: the fixture site and an edge-case
server (caps, redirects, revalidation, caching, blocked hosts)."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from ingest.web import FetchResult, PageFetcher
from rag.config import FetchSettings, Settings
from tests.loopback import serve
from tests.markdown_checks import markdown_headings, source_headings

WEB_FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "web"
K8S = "https://kubernetes.io/"

# ----------------------------------------------------------------------------- helpers

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title} | Site</title></head>
<body><nav><a href="/">Home</a> <a href="/a">A</a></nav><main><article><h1>{title}</h1>
<p>{body} 이 문단은 추출기가 본문으로 인식할 만큼 충분히 긴 한국어 문장들로 이루어져 있다.
레플리카셋과 디플로이먼트는 쿠버네티스의 워크로드 리소스이며 파드의 개수를 유지한다.</p>
<p>두 번째 문단도 본문이다. 서비스는 파드 집합에 대한 안정적인 네트워크 엔드포인트를 제공한다.</p>
</article></main><footer>footer</footer></body></html>"""


def page(title: str, body: str = "본문입니다.") -> bytes:
    return PAGE.format(title=title, body=body).encode("utf-8")


def read_urls_tsv() -> list[tuple[str, str, str]]:
    rows = (WEB_FIXTURES / "urls.tsv").read_text(encoding="utf-8").splitlines()
    return [tuple(r.split("\t")) for r in rows if r.strip()]  # type: ignore[misc]


# ----------------------------------------------------------------------------- edge server


@dataclass
class EdgeServer:
    base: str
    hits: dict[str, int] = field(default_factory=dict)
    headers: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return self.base + path.lstrip("/")

    def count(self, path: str) -> int:
        with self.lock:
            return self.hits.get(path, 0)


def make_handler(state: EdgeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def send(
            self, code: int, body: bytes = b"", ctype: str = "text/html", **extra: str
        ) -> None:
            self.send_response(code)
            if ctype:
                self.send_header("Content-Type", ctype)
            for key, value in extra.items():
                self.send_header(key.replace("_", "-"), value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            with state.lock:
                state.hits[path] = state.hits.get(path, 0) + 1
                n = state.hits[path]
                state.headers.setdefault(path, []).append(dict(self.headers.items()))
            if path == "/ok":
                self.send(200, page("정상 페이지"))
            elif path == "/404":
                self.send(404, b"<h1>not found</h1>")
            elif path == "/slow":
                time.sleep(1.5)
                self.send(200, page("느린 페이지"))
            elif path == "/large-declared":
                # Declares more than it sends: only a client that trusts Content-Length
                # reports "too large" (one that reads on sees a truncated body).
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", "50000")
                self.end_headers()
                self.wfile.write(page("큰 페이지"))
                self.close_connection = True
            elif path == "/large-streamed":
                # No Content-Length: the client must count what it reads.
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                for _ in range(40):
                    self.wfile.write(b"<p>" + b"x" * 1000 + b"</p>")
                self.close_connection = True
            elif path == "/gzip-bomb":
                # 1.5 kB on the wire, 2 MB once decompressed: the cap is on what we hold.
                import gzip

                bomb = gzip.compress(b"<p>" + b"0" * 2_000_000 + b"</p>")
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(bomb)))
                self.end_headers()
                self.wfile.write(bomb)
            elif path == "/trickle-headers":
                # The status line and headers one byte at a time: every read is quick, the
                # headers never end within the deadline (slowloris, the other way round).
                head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + b"X-Pad: y\r\n" * 40
                try:
                    for byte in head:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(0.02)
                except OSError:
                    pass
                self.close_connection = True
            elif path == "/trickle":
                # Each read arrives well within the read timeout; the whole body does not.
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                try:
                    for _ in range(20):
                        self.wfile.write(b"<p>drip</p>")
                        self.wfile.flush()
                        time.sleep(0.1)
                except OSError:  # the client gave up, as it should
                    pass
                self.close_connection = True
            elif path == "/pdf":
                self.send(200, b"%PDF-1.4 ...", ctype="application/pdf")
            elif path == "/loop-a":
                self.send(302, ctype="", Location="/loop-b")
            elif path == "/loop-b":
                self.send(302, ctype="", Location=state.url("/loop-a"))
            elif path.startswith("/chain/"):
                step = int(path.rsplit("/", 1)[1])
                target = "/chain-end" if step >= 3 else f"/chain/{step + 1}"
                self.send(301 if step % 2 else 307, ctype="", Location=target)
            elif path == "/chain-end":
                self.send(200, page("체인의 끝"))
            elif path.startswith("/long/"):
                step = int(path.rsplit("/", 1)[1])
                self.send(302, ctype="", Location=f"/long/{step + 1}")
            elif path == "/to-ftp":
                self.send(302, ctype="", Location="ftp://127.0.0.1/file.html")
            elif path == "/etag":
                if self.headers.get("If-None-Match") == '"v1"':
                    self.send(304, ctype="", ETag='"v1"')
                else:
                    self.send(200, page("이태그 페이지"), ETag='"v1"')
            elif path == "/lastmod":
                stamp = "Wed, 21 Oct 2015 07:28:00 GMT"
                if self.headers.get("If-Modified-Since") == stamp:
                    self.send(304, ctype="")
                else:
                    self.send(200, page("수정 시각 페이지"), Last_Modified=stamp)
            elif path == "/flaky":
                if n == 1:
                    self.send(200, page("한 번만 되는 페이지"))
                else:
                    self.send(500, b"boom")
            elif path == "/euc-kr-header":
                body = page("헤더 문자셋", "한글 본문").decode().replace('charset="utf-8"', "")
                self.send(200, body.encode("euc-kr"), ctype="text/html; charset=euc-kr")
            elif path == "/euc-kr-meta":
                body = page("메타 문자셋", "한글 본문").decode()
                body = body.replace('charset="utf-8"', 'charset="euc-kr"')
                self.send(200, body.encode("euc-kr"), ctype="text/html")
            elif path == "/plain":
                self.send(200, "일반 텍스트 제목\n\n둘째 줄".encode(), ctype="text/plain")
            elif path == "/empty":
                self.send(200, b"<html><body></body></html>")
            else:
                self.send(404, b"")

    return Handler


@pytest.fixture(scope="module")
def edge() -> Iterator[EdgeServer]:
    state = EdgeServer(base="")
    with serve(make_handler(state)) as base:
        state.base = base
        yield state


@pytest.fixture
def edge_settings(tmp_path: Path) -> Settings:
    return Settings(
        allow_private_hosts=True,
        cache_dir=tmp_path / "cache",
        fetch=FetchSettings(timeout=0.5, max_bytes=10_000, max_redirects=4, concurrency=3),
    )


@pytest.fixture
def fetcher(edge_settings: Settings) -> Iterator[PageFetcher]:
    with PageFetcher(edge_settings) as f:
        yield f


def assert_failed(result: FetchResult, reason_part: str) -> None:
    assert result.status == "failed", result
    assert reason_part in result.reason, result.reason
    assert result.text == ""


# ----------------------------------------------------------------------------- fixture site


def test_fixture_pages_are_fetched_with_titles_and_every_heading(
    web_settings: Settings,
) -> None:
    rows = read_urls_tsv()
    assert len(rows) == 6
    urls = [url for url, _, _ in rows]
    with PageFetcher(web_settings) as fetcher:
        results = fetcher.fetch_many(urls)
    assert [r.url for r in results] == urls
    for (url, _path, title), result in zip(rows, results, strict=True):
        assert result.status == "fetched", (url, result.reason)
        assert result.fetch_url.startswith(web_settings.url_rewrites[0][1])
        assert result.title == title
        slug = url.rstrip("/").rsplit("/", 1)[1]
        src = (WEB_FIXTURES / "source" / f"{slug}.md").read_text(encoding="utf-8")
        expected = source_headings(src)
        got = markdown_headings(result.text)
        assert got[0] == (1, title)
        # Same headings, same levels, same order: nothing dropped, nothing split off.
        assert got[1:] == expected, slug
        assert len(result.text) > 1000
    by_slug = {r.url.rstrip("/").rsplit("/", 1)[1]: r for r in results}
    replicaset = by_slug["replicaset"]
    assert any("레플리카셋" in h for _, h in markdown_headings(replicaset.text))
    assert "replicas" in replicaset.text
    # the last section of a long page is there too (text is complete, not a first paragraph)
    assert "다음 내용" in by_slug["service"].text
    assert "kube-apiserver — " in by_slug["components"].text


def test_refetch_uses_if_modified_since_and_reports_cached(web_settings: Settings) -> None:
    url = K8S + "ko/docs/concepts/workloads/controllers/replicaset/"
    with PageFetcher(web_settings) as fetcher:
        first = fetcher.fetch(url)
        second = fetcher.fetch(url)
    assert first.status == "fetched"
    # http.server answers If-Modified-Since with 304
    assert second.status == "cached"
    assert second.reason == ""
    assert second.text == first.text and second.title == first.title
    assert second.url == url
    assert second.fetch_url.startswith("http://127.0.0.1:")


def test_offline_serves_cache_and_never_touches_network(
    web_settings: Settings, edge: EdgeServer
) -> None:
    url = K8S + "ko/docs/concepts/overview/components/"
    with PageFetcher(web_settings) as fetcher:
        online = fetcher.fetch(url)
    assert online.status == "fetched"
    offline_settings = web_settings.with_overrides(offline=True)
    before = edge.count("/ok")
    with PageFetcher(offline_settings) as fetcher:
        cached = fetcher.fetch(url)
        missing = fetcher.fetch(edge.url("/ok"))
    assert cached.status == "cached" and cached.text == online.text
    assert cached.fetched_at == online.fetched_at
    assert_failed(missing, "offline and not cached")
    assert edge.count("/ok") == before


def test_cache_file_layout(web_settings: Settings) -> None:
    import hashlib

    url = K8S + "ko/docs/concepts/overview/"
    with PageFetcher(web_settings) as fetcher:
        result = fetcher.fetch(url)
    web_dir = web_settings.cache_dir / "web"
    path = web_dir / f"{hashlib.sha256(url.encode()).hexdigest()}.json"
    entry = json.loads(path.read_text(encoding="utf-8"))
    for key in ("url", "fetch_url", "final_url", "etag", "last_modified", "fetched_at", "title"):
        assert key in entry
    assert entry["url"] == url and entry["text"] == result.text
    assert entry["last_modified"]  # http.server sends it; needed for the 304 path
    assert [p.name for p in web_dir.iterdir()] == [path.name]  # no temp files left


# ----------------------------------------------------------------------------- edge cases


def test_http_error_status(fetcher: PageFetcher, edge: EdgeServer) -> None:
    assert_failed(fetcher.fetch(edge.url("/404")), "HTTP 404")


def test_slow_response_times_out(fetcher: PageFetcher, edge: EdgeServer) -> None:
    started = time.monotonic()
    result = fetcher.fetch(edge.url("/slow"))
    assert_failed(result, "timeout after 0.5s")
    assert time.monotonic() - started < 1.4


@pytest.mark.parametrize("path", ["/large-declared", "/large-streamed", "/gzip-bomb"])
def test_too_large_body(fetcher: PageFetcher, edge: EdgeServer, path: str) -> None:
    assert_failed(fetcher.fetch(edge.url(path)), "too large (> 10000 bytes)")


def test_non_html_refused(fetcher: PageFetcher, edge: EdgeServer) -> None:
    assert_failed(fetcher.fetch(edge.url("/pdf")), "not HTML (application/pdf)")


def test_trickling_body_hits_the_overall_deadline(fetcher: PageFetcher, edge: EdgeServer) -> None:
    started = time.monotonic()
    assert_failed(fetcher.fetch(edge.url("/trickle")), "timeout after 0.5s")
    assert time.monotonic() - started < 1.2


def test_trickling_headers_hit_the_same_deadline(fetcher: PageFetcher, edge: EdgeServer) -> None:
    started = time.monotonic()
    assert_failed(fetcher.fetch(edge.url("/trickle-headers")), "timeout after 0.5s")
    assert time.monotonic() - started < 1.2


def test_the_connection_goes_to_the_address_that_was_checked(tmp_path: Path) -> None:
    """A name is resolved once, where the socket is opened: no second lookup that a DNS
    rebinding answer could turn into 127.0.0.1 after a check passed."""
    import socket

    from ingest.web import transport

    calls: list[str] = []
    real = socket.getaddrinfo

    def counting(host: str, *args: object, **kwargs: object) -> object:
        calls.append(host)
        return real(host, *args, **kwargs)

    settings = Settings(cache_dir=tmp_path / "cache", offline=False)
    socket.getaddrinfo = counting  # type: ignore[assignment]
    try:
        with PageFetcher(settings) as f:
            result = f.fetch("http://localhost:9/page")
    finally:
        socket.getaddrinfo = real  # type: ignore[assignment]
    assert_failed(result, "private address")
    assert calls == ["localhost"]
    with pytest.raises(Exception, match="private address"):
        transport._PinnedBackend(allow_private=False).connect_tcp("127.0.0.1", 9)


def test_redirect_loop(fetcher: PageFetcher, edge: EdgeServer) -> None:
    before = edge.count("/loop-a")
    assert_failed(fetcher.fetch(edge.url("/loop-a")), "too many redirects")
    assert edge.count("/loop-a") == before + 1  # the loop is seen, not run to the limit


def test_redirect_chain_longer_than_limit(fetcher: PageFetcher, edge: EdgeServer) -> None:
    before = edge.count("/long/5")
    assert_failed(fetcher.fetch(edge.url("/long/0")), "too many redirects")
    assert edge.count("/long/4") >= 1 and edge.count("/long/5") == before  # limit is 4


def test_redirect_chain_that_ends_ok(fetcher: PageFetcher, edge: EdgeServer) -> None:
    result = fetcher.fetch(edge.url("/chain/1"))
    assert result.status == "fetched", result.reason
    assert result.url == edge.url("/chain/1")
    assert result.final_url == edge.url("/chain-end")
    assert result.title == "체인의 끝"


def test_redirect_to_other_scheme_is_refused(fetcher: PageFetcher, edge: EdgeServer) -> None:
    assert_failed(fetcher.fetch(edge.url("/to-ftp")), "unsupported scheme")


def test_etag_revalidation_gets_304(fetcher: PageFetcher, edge: EdgeServer) -> None:
    first = fetcher.fetch(edge.url("/etag"))
    second = fetcher.fetch(edge.url("/etag"))
    assert first.status == "fetched"
    assert second.status == "cached" and second.text == first.text
    seen = edge.headers["/etag"][-2:]
    assert "If-None-Match" not in seen[0]
    assert seen[1].get("If-None-Match") == '"v1"'


def test_last_modified_revalidation_gets_304(fetcher: PageFetcher, edge: EdgeServer) -> None:
    assert fetcher.fetch(edge.url("/lastmod")).status == "fetched"
    assert fetcher.fetch(edge.url("/lastmod")).status == "cached"
    assert edge.headers["/lastmod"][-1].get("If-Modified-Since") == (
        "Wed, 21 Oct 2015 07:28:00 GMT"
    )


def test_failure_after_success_serves_stale_cache(fetcher: PageFetcher, edge: EdgeServer) -> None:
    first = fetcher.fetch(edge.url("/flaky"))
    second = fetcher.fetch(edge.url("/flaky"))
    assert first.status == "fetched"
    assert second.status == "cached"
    assert second.reason == "HTTP 500"
    assert second.text == first.text


def test_corrupt_cache_is_treated_as_missing(fetcher: PageFetcher, edge: EdgeServer) -> None:
    url = edge.url("/ok")
    path = fetcher.cache.path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'{"url": "truncated')
    result = fetcher.fetch(url)
    assert result.status == "fetched"
    assert json.loads(path.read_text(encoding="utf-8"))["text"] == result.text
    path.write_text('{"url": 1, "text": []}', encoding="utf-8")
    offline = PageFetcher(fetcher.settings.with_overrides(offline=True))
    assert_failed(offline.fetch(url), "offline and not cached")
    offline.close()


@pytest.mark.parametrize("path", ["/euc-kr-header", "/euc-kr-meta"])
def test_charset_from_header_or_meta(fetcher: PageFetcher, edge: EdgeServer, path: str) -> None:
    result = fetcher.fetch(edge.url(path))
    assert result.status == "fetched", result.reason
    assert "한글 본문" in result.text
    assert result.title in {"헤더 문자셋", "메타 문자셋"}


def test_plain_text_is_accepted(fetcher: PageFetcher, edge: EdgeServer) -> None:
    result = fetcher.fetch(edge.url("/plain"))
    assert result.status == "fetched"
    assert result.title == "일반 텍스트 제목"
    assert "둘째 줄" in result.text


def test_page_without_text_fails(fetcher: PageFetcher, edge: EdgeServer) -> None:
    assert_failed(fetcher.fetch(edge.url("/empty")), "no main text")


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://127.0.0.1/x.html", "javascript:alert(1)"]
)
def test_unsupported_schemes(fetcher: PageFetcher, url: str) -> None:
    result = fetcher.fetch(url)
    assert_failed(result, "unsupported scheme")
    assert result.url == url


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_private_hosts_blocked_by_default(tmp_path: Path, edge: EdgeServer, host: str) -> None:
    settings = Settings(cache_dir=tmp_path / "cache", fetch=FetchSettings(timeout=0.5))
    assert settings.allow_private_hosts is False
    url = edge.url("/ok").replace("127.0.0.1", host)
    before = edge.count("/ok")
    with PageFetcher(settings) as fetcher:
        result = fetcher.fetch(url)
    assert_failed(result, "blocked (set TIL_ALLOW_PRIVATE_HOSTS=1)")
    assert re.search(r"private address (127\.0\.0\.1|::1) blocked", result.reason)
    assert edge.count("/ok") == before


def test_dns_failure(fetcher: PageFetcher) -> None:
    assert_failed(fetcher.fetch("http://no-such-host.invalid/page"), "DNS lookup failed")


def test_fetch_many_keeps_order_and_fetches_duplicates_once(
    fetcher: PageFetcher, edge: EdgeServer
) -> None:
    urls = [edge.url("/chain-end"), edge.url("/404"), edge.url("/chain-end"), "ftp://x/"]
    before = edge.count("/chain-end")
    results = fetcher.fetch_many(urls, progress=True)
    assert [r.url for r in results] == urls
    assert [r.status for r in results] == ["fetched", "failed", "fetched", "failed"]
    assert edge.count("/chain-end") == before + 1
    assert fetcher.fetch_many([]) == []
