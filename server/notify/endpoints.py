"""Which push endpoints the server will POST to (DESIGN.md: no SSRF through push subscriptions).

An endpoint must be `https` and every address its host resolves to must be globally routable:
no private, loopback, link-local, shared, reserved, multicast or unspecified address, including
IPv4 addresses wrapped in IPv6. `DOORSTEP_PUSH_ALLOW_PRIVATE_ENDPOINTS=1` (tests and local
development only) lifts both rules so a push service on 127.0.0.1 over plain http can be used.
The check runs when a device subscribes and again (cached briefly) before sending, so a name that
later re-points at an internal address is refused at send time too.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from urllib.parse import SplitResult, urlsplit

MAX_ENDPOINT_LENGTH = 2048
_CACHE_SECONDS = 300.0


class EndpointRefused(ValueError):
    """The endpoint may not be used; the message says why (safe to show to the client)."""


def _address_allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            ip = mapped
        elif ip.teredo is not None:
            ip = ip.teredo[1]
    return ip.is_global and not ip.is_multicast


def parse_endpoint(endpoint: str, *, allow_private: bool) -> SplitResult:
    """Check the URL's shape (no network); returns its parts."""
    if len(endpoint) > MAX_ENDPOINT_LENGTH:
        raise EndpointRefused("the endpoint URL is too long")
    try:
        parts = urlsplit(endpoint)
        _ = parts.port  # raises for a malformed port
    except ValueError as exc:
        raise EndpointRefused("the endpoint is not a valid URL") from exc
    allowed_schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed_schemes:
        raise EndpointRefused("the endpoint must be an https URL")
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise EndpointRefused("the endpoint must name a host and carry no credentials")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in endpoint):
        raise EndpointRefused("the endpoint is not a valid URL")
    return parts


def resolve_and_check(host: str, port: int) -> None:
    """Resolve `host` and refuse it unless every address is public (blocking: DNS)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise EndpointRefused("the endpoint's host does not resolve") from exc
    addresses = {str(info[4][0]) for info in infos}
    if not addresses:
        raise EndpointRefused("the endpoint's host does not resolve")
    for address in addresses:
        if not _address_allowed(address):
            raise EndpointRefused("the endpoint's host is a private or reserved address")


def check_endpoint(endpoint: str, *, allow_private: bool) -> None:
    """Refuse an endpoint the server must not POST to (blocking: resolves the host)."""
    parts = parse_endpoint(endpoint, allow_private=allow_private)
    if allow_private:
        return
    assert parts.hostname is not None
    resolve_and_check(parts.hostname, parts.port or 443)


_verdicts: dict[tuple[str, int], tuple[float, str | None]] = {}
_verdicts_lock = threading.Lock()


def check_endpoint_cached(endpoint: str, *, allow_private: bool) -> None:
    """`check_endpoint` with the DNS verdict per host kept a few minutes (the send path)."""
    parts = parse_endpoint(endpoint, allow_private=allow_private)
    if allow_private:
        return
    assert parts.hostname is not None
    key = (parts.hostname, parts.port or 443)
    now = time.monotonic()
    with _verdicts_lock:
        cached = _verdicts.get(key)
    if cached is None or cached[0] < now:
        try:
            resolve_and_check(*key)
            verdict: str | None = None
        except EndpointRefused as exc:
            verdict = str(exc)
        cached = (now + _CACHE_SECONDS, verdict)
        with _verdicts_lock:
            _verdicts[key] = cached
    if cached[1] is not None:
        raise EndpointRefused(cached[1])
