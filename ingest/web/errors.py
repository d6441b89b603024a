"""The error a fetch raises; ``str(err)`` is the short reason shown to users."""

from __future__ import annotations


class FetchError(Exception):
    """A fetch that did not produce a page; ``str(err)`` is the short reason shown to users."""
