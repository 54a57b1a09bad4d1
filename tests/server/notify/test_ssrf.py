"""Web Push SSRF (issue 9, item 3): redirects are never followed; every connection goes to an
address checked when it is opened (no DNS rebinding); IPv6 forms that reach IPv4 or internal
hosts (NAT64, IPv4-compatible, IPv4-mapped, site-local) are private."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from server.notify.endpoints import AddressRefused, VettedResolver, address_allowed
from server.notify.tables import PushSubscription
from server.notify.webpush import Outcome, PushMessage, Sender, classify
from tests.server.notify.conftest import use_settings
from tests.server.notify.pushservice import Answer, PushService, Subscriber
from tests.server.notify.test_subscriptions import api, assert_error, device  # noqa: F401

PRIVATE_LITERALS = [
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b::808:808",  # NAT64 even of a public address: a translator we do not control
    "64:ff9b:1::a00:1",  # local-use NAT64
    "::7f00:1",  # IPv4-compatible 127.0.0.1
    "::a00:1",  # IPv4-compatible 10.0.0.1
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "fec0::1",  # site-local
    "fc00::1",  # unique local
    "fe80::1",  # link-local
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "2001:db8::1",  # documentation
    "::1",
    "::",
]


@pytest.fixture
def strict() -> Iterator[None]:
    import os

    old = os.environ.get("DOORSTEP_PUSH_ALLOW_PRIVATE_ENDPOINTS")
    use_settings(DOORSTEP_PUSH_ALLOW_PRIVATE_ENDPOINTS="0")
    yield
    use_settings(DOORSTEP_PUSH_ALLOW_PRIVATE_ENDPOINTS=old)


class Zone(AbstractResolver):
    """A DNS zone the test controls: answers change between lookups, as in DNS rebinding."""

    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {}
        self.lookups = 0

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.lookups += 1
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=0,
            )
            for address in self.records.get(host, [])
        ]

    async def close(self) -> None:
        return None


def message(sub: Subscriber, endpoint: str | None = None) -> PushMessage:
    keys = sub.subscription_json()["keys"]
    return PushMessage(
        endpoint or sub.endpoint, keys["p256dh"], keys["auth"], b"{}", 60, "normal", None
    )


@pytest.mark.parametrize("address", PRIVATE_LITERALS)
def test_ipv6_wrappings_of_internal_hosts_are_private(address: str) -> None:
    assert not address_allowed(address)


def test_public_addresses_stay_allowed() -> None:
    for address in ("142.250.1.95", "2607:f8b0:4005::200a", "2002:8e fa:15f::1".replace(" ", "")):
        assert address_allowed(address), address


@pytest.mark.usefixtures("database", "strict")
@pytest.mark.parametrize("address", PRIVATE_LITERALS)
async def test_subscriptions_to_internal_literals_are_refused(
    api: httpx.AsyncClient,  # noqa: F811
    pushsvc: PushService,
    address: str,
) -> None:
    body = pushsvc.subscribe().subscription_json()
    body["endpoint"] = f"https://[{address}]/push/x"
    response = await api.post("/api/push/subscriptions", json=body, headers=device())
    assert_error(response, 422, "invalid_endpoint")
    assert await PushSubscription.count().where(PushSubscription.endpoint == body["endpoint"]) == 0


@pytest.mark.usefixtures("private_endpoints_allowed")
async def test_a_redirect_is_not_followed(pushsvc: PushService) -> None:
    """The push service answers 307 to another (internal) host: the POST must not go there."""
    sub = pushsvc.subscribe()
    target = pushsvc.subscribe()  # the 'internal' host: any request it gets is a leak
    pushsvc.script(sub, Answer(status=307, location=target.endpoint))
    sender = Sender()
    try:
        result = await sender.send(message(sub))
    finally:
        await sender.close()
    assert pushsvc.requests[sub.token] == 1
    assert pushsvc.requests[target.token] == 0
    assert result.status_code == 307
    assert classify(result) is Outcome.FAILED


@pytest.mark.usefixtures("strict")
async def test_every_connection_goes_to_an_address_checked_then(pushsvc: PushService) -> None:
    """DNS rebinding: the name is public when the device subscribes and internal when we send;
    the sender's resolver checks each answer it connects to, with no cached verdict."""
    zone = Zone()
    zone.records["push.rebind.test"] = ["127.0.0.1"]
    sub = pushsvc.subscribe()
    port = sub.endpoint.split(":")[2].split("/")[0]
    endpoint = f"https://push.rebind.test:{port}/push/{sub.token}"
    sender = Sender(resolver=zone)
    try:
        result = await sender.send(message(sub, endpoint))
    finally:
        await sender.close()
    assert zone.lookups == 1
    assert result.status_code is None and result.error is not None
    assert result.error.startswith("refused"), result.error
    assert classify(result) is Outcome.FAILED
    assert pushsvc.requests[sub.token] == 0


async def test_a_mix_of_public_and_internal_answers_is_refused() -> None:
    zone = Zone()
    zone.records["mixed.test"] = ["142.250.1.95", "10.0.0.7"]
    zone.records["public.test"] = ["142.250.1.95"]
    resolver = VettedResolver(zone)
    with pytest.raises(AddressRefused):
        await resolver.resolve("mixed.test", 443)
    with pytest.raises(AddressRefused):
        await resolver.resolve("nothing.test", 443)
    answers: list[Any] = await resolver.resolve("public.test", 443)
    assert [a["host"] for a in answers] == ["142.250.1.95"]
