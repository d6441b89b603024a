"""Which URLs may be fetched: rewrites (mirrors, archives) and the scheme and private-address
rules, checked at every redirect hop (a public page must not bounce us to 127.0.0.1)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from ingest.web.errors import FetchError

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


def check_url(url: str, allow_private: bool) -> None:
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
