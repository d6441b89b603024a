"""Linked pages: which URLs may be fetched (``urls``), fetching with caps and a cache
(``fetch``), and main-text extraction (``extract``). The cache itself is
``rag.index.pagecache``."""

from ingest.web.errors import FetchError
from ingest.web.extract import extract_page, normalize_markdown
from ingest.web.fetch import FetchResult, PageFetcher
from ingest.web.urls import rewrite_url

__all__ = [
    "FetchError",
    "FetchResult",
    "PageFetcher",
    "extract_page",
    "normalize_markdown",
    "rewrite_url",
]
