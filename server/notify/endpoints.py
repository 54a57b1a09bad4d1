"""Which push endpoints the server will POST to (DESIGN.md: no SSRF through push subscriptions).

An endpoint must be `https` and every address its host resolves to must be globally routable:
no private, loopback, link-local, shared, reserved, site-local, multicast or unspecified address,
and no IPv6 form that carries an IPv4 address somewhere else (IPv4-mapped, IPv4-compatible,
NAT64, 6to4, Teredo) unless that address is itself public: NAT64 and IPv4-compatible are refused
outright. `DOORSTEP_PUSH_ALLOW_PRIVATE_ENDPOINTS=1` (tests and local development only) lifts the
rules so a push service on 127.0.0.1 over plain http can be used.

The check runs when a device subscribes, and again on every connection the sender opens: the
sender's resolver (`VettedResolver`) answers only vetted addresses and the connection goes to
exactly those, so a name re-pointed at an internal address after the check (DNS rebinding) is
refused when it is used. Redirects are never followed (see `webpush`).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import SplitResult, urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

MAX_ENDPOINT_LENGTH = 2048

#: IPv6 ranges that reach IPv4 hosts through a translator or are obsolete: never a push service
_REFUSED_V6 = [
    ipaddress.IPv6Network("64:ff9b::/96"),  # NAT64 well-known prefix (RFC 6052)
    ipaddress.IPv6Network("64:ff9b:1::/48"),  # NAT64 local-use prefix (RFC 8215)
    ipaddress.IPv6Network("::/96"),  # IPv4-compatible (deprecated), :: and ::1 included
    ipaddress.IPv6Network("fec0::/10"),  # site-local (deprecated, still routed internally)
]


class EndpointRefused(ValueError):
    """The endpoint may not be used; the message says why (safe to show to the client)."""


class AddressRefused(OSError):
    """Raised by the sender's resolver: the host resolves to an address we must not reach.
    An OSError so that aiohttp reports it as a connection failure carrying this cause."""


def address_allowed(address: str) -> bool:
    """Whether the server may connect to this IP address: globally routable, not multicast,
    and not an IPv6 wrapping of an address that is not."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.is_site_local or any(ip in net for net in _REFUSED_V6):
            return False
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and not address_allowed(str(embedded)):
            return False
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
        if not address_allowed(address):
            raise EndpointRefused("the endpoint's host is a private or reserved address")


def check_endpoint(endpoint: str, *, allow_private: bool) -> None:
    """Refuse an endpoint the server must not POST to (blocking: resolves the host)."""
    parts = parse_endpoint(endpoint, allow_private=allow_private)
    if allow_private:
        return
    assert parts.hostname is not None
    resolve_and_check(parts.hostname, parts.port or 443)


def check_literal_host(endpoint: str, *, allow_private: bool) -> None:
    """The send-time check that needs no DNS: the URL's shape, and its host when that is an IP
    literal (connections to a literal do not go through the resolver)."""
    parts = parse_endpoint(endpoint, allow_private=allow_private)
    if allow_private:
        return
    assert parts.hostname is not None
    try:
        ipaddress.ip_address(parts.hostname.split("%", 1)[0])
    except ValueError:
        return  # a name: VettedResolver checks what it resolves to, on every connection
    if not address_allowed(parts.hostname):
        raise EndpointRefused("the endpoint's host is a private or reserved address")


class VettedResolver(AbstractResolver):
    """An aiohttp resolver that answers only public addresses, so the connection goes to the
    address that was checked and to no other: if any address of a name is not public, the
    name is refused (a mix of public and internal answers is a rebinding attempt)."""

    def __init__(
        self,
        inner: AbstractResolver | None = None,
        allow_private: Callable[[], bool] = lambda: False,
    ) -> None:
        self._inner = inner or DefaultResolver()
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self._inner.resolve(host, port, family)
        if self._allow_private():
            return answers
        refused = [a["host"] for a in answers if not address_allowed(a["host"])]
        if refused or not answers:
            raise AddressRefused(f"{host} resolves to a private or reserved address")
        return answers

    async def close(self) -> None:
        await self._inner.close()
