"""ingest/web/urls.py: URL rewrites (mirrors, archives); the scheme and private-address rules
are tested through real fetches in test_ingest_web_fetch.py."""

from __future__ import annotations

from ingest.web import rewrite_url


def test_rewrite_url_longest_prefix_wins() -> None:
    rewrites = (
        ("https://kubernetes.io/", "http://mirror/"),
        ("https://kubernetes.io/ko/docs/", "http://ko-mirror/docs/"),
    )
    assert rewrite_url("https://kubernetes.io/ko/docs/a/", rewrites) == "http://ko-mirror/docs/a/"
    assert rewrite_url("https://kubernetes.io/en/", rewrites) == "http://mirror/en/"
    assert rewrite_url("https://example.com/x", rewrites) == "https://example.com/x"
    assert rewrite_url("https://kubernetes.io/x", ()) == "https://kubernetes.io/x"
