"""The HTTP transport under :class:`ingest.web.fetch.PageFetcher`: where a connection is made,
so the two guarantees that only hold there live here.

- **One deadline per fetch.** httpx's timeouts are per phase and per read: a server that
  sends its headers (or body) one byte a second never trips them. Every socket read and
  write gets at most the time left until the fetch's deadline, and none starts after it.
- **The checked address is the connected address.** The host is resolved once, every
  address is checked against the private-address rule (``ingest.web.urls``), and the socket
  connects to one of those addresses; TLS still verifies the certificate for the host name.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx

from ingest.web.urls import resolve_checked

_state = threading.local()


@contextlib.contextmanager
def deadline(at: float) -> Iterator[None]:
    """Every read and write of this thread's requests ends by ``at`` (``time.monotonic``)."""
    previous = getattr(_state, "deadline", None)
    _state.deadline = at
    try:
        yield
    finally:
        _state.deadline = previous


def _time_left(timeout: float | None) -> float | None:
    at = getattr(_state, "deadline", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the fetch deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _time_left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _time_left(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, _time_left(timeout))
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    def __init__(self, allow_private: bool) -> None:
        self._inner = httpcore.SyncBackend()
        self._allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = resolve_checked(host, port, self._allow_private)
        error: Exception | None = None
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(
                    address, port, _time_left(timeout), local_address, socket_options
                )
                return _DeadlineStream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def guarded_transport(allow_private: bool) -> httpx.HTTPTransport:
    """An ``httpx.HTTPTransport`` whose connections use the pinned, deadline-bound backend.
    (httpx has no public hook for a network backend; its pool keeps it in one attribute.)"""
    transport = httpx.HTTPTransport(trust_env=False)
    pool = transport._pool
    if not hasattr(pool, "_network_backend"):
        raise RuntimeError("httpcore changed: ConnectionPool._network_backend is gone")
    pool._network_backend = _PinnedBackend(allow_private)
    return transport
