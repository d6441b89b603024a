"""Which URLs may be fetched: rewrites (mirrors, archives) and the scheme and private-address
rules, checked at every redirect hop (a public page must not bounce us to 127.0.0.1); the
address rule is applied to the resolved addresses the transport connects to."""

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
    """Raise :class:`FetchError` unless ``url`` is an http(s) URL with a host."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        if parts.port == 0:  # reading .port also raises ValueError on a malformed port
            raise FetchError("invalid URL (port 0)")
    except ValueError as err:
        raise FetchError(f"invalid URL ({err})") from None
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise FetchError(f"unsupported scheme '{scheme or '(none)'}' (only http and https)")
    if not host:
        raise FetchError("invalid URL (no host)")
    # The host's addresses are checked where the connection is made (ingest.web.transport):
    # resolved once, and the socket goes to an address that passed, so a DNS answer that
    # changes between a check and the connect (rebinding) cannot reach a private address.


def resolve_checked(host: str, port: int, allow_private: bool) -> list[str]:
    """The addresses ``host`` resolves to, once; :class:`FetchError` if any is private (unless
    allowed). Every address counts: a name that resolves to one public and one private
    address could be connected to either."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchError("DNS lookup failed") from None
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            continue
        if not allow_private and _is_blocked_ip(ip):
            raise FetchError(f"private address {ip} blocked (set TIL_ALLOW_PRIVATE_HOSTS=1)")
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise FetchError("DNS lookup failed (no address)")
    return addresses
