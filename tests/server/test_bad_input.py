"""Bad input on every endpoint (DESIGN.md "Security model", SYNC_PROTOCOL.md "Common rules"):
a 4xx with the error envelope, never a 5xx, and nothing written.

The endpoints are read from the app's own OpenAPI document, so a new endpoint is covered as soon
as it exists.  Endpoints that read a raw body (not declared in OpenAPI) and endpoints that take
no body at all are listed below; a new mutating endpoint that is in neither list and declares no
body fails `test_every_endpoint_is_classified` until someone decides which it is.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.helpers import login
from tests.server.replication.support import assert_error, feed_head, table_counts

pytestmark = pytest.mark.usefixtures("database")

#: endpoints that read the raw request body themselves
RAW_BODY = {
    ("POST", "/api/sync/push"),
    ("PUT", "/api/attachments/{sha256}"),
    # checked against its HMAC signature before it is decoded (server/notify/controllers.py)
    ("POST", "/api/notify/sms/receipts"),
    # the residents' door decodes its bodies itself (server/public/body.py: zh-CN + English)
    ("POST", "/api/public/appeals"),
    ("PUT", "/api/public/attachments/{sha256}"),
    ("POST", "/api/public/appeals/{tracking_code}/rating"),
    ("POST", "/api/public/appeals/{tracking_code}/push"),
    ("POST", "/api/public/duty/{shift_id}/requests"),
    ("POST", "/api/triage/appeals/{appeal_id}/accept"),
    ("POST", "/api/triage/appeals/{appeal_id}/merge"),
    ("POST", "/api/triage/appeals/{appeal_id}/reject"),
    ("POST", "/api/duty/shifts"),
}
#: mutating endpoints that take no body (their input is the path and the token)
NO_BODY = {
    ("POST", "/api/auth/logout"),
    ("POST", "/api/admin/devices/{device_id}/revoke"),
    ("DELETE", "/api/push/subscriptions"),
    ("POST", "/api/command/events/ticket"),  # its input is org_unit_id in the query
    ("POST", "/api/command/orders/{order_id}/chase"),
    ("POST", "/api/command/orders/{order_id}/escalate"),
    ("POST", "/api/incentives/batches/{batch_id}/approve"),
    ("POST", "/api/incentives/batches/{batch_id}/paid"),
}
#: endpoints whose success would change the database even with a valid-looking input; bad
#: input must never get that far, so they are only sent bad input here
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
OVERSIZE = 6 * 1024 * 1024 + 1  # above the 1 MiB app limit and the 5 MiB attachment limit


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    params: tuple[dict[str, Any], ...]
    has_body: bool
    public: bool

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, **overrides: str) -> str:
        out = self.path
        for param in self.params:
            if param["in"] != "path":
                continue
            name = param["name"]
            value = overrides.get(name) or _valid_path_value(param)
            out = out.replace("{" + name + "}", value)
        return out


def _valid_path_value(param: dict[str, Any]) -> str:
    schema = param.get("schema", {})
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    if param["name"] == "sha256":
        return uuid.uuid4().hex * 2
    return "x"


def _endpoints(document: dict[str, Any]) -> list[Endpoint]:
    out = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method.upper() not in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                continue
            out.append(
                Endpoint(
                    method.upper(),
                    path,
                    tuple(operation.get("parameters", [])),
                    "requestBody" in operation,
                    not operation.get("security") and _is_public(path),
                )
            )
    return out


def _is_public(path: str) -> bool:
    import re

    from server.accounts.auth import PUBLIC_PATHS

    return any(re.match(p, path) for p in PUBLIC_PATHS)


@pytest.fixture(scope="module")
async def endpoints(client: Any) -> list[Endpoint]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    found = _endpoints(response.json())
    assert len(found) >= 15
    return found


@pytest.fixture(scope="module")
async def admin(client: Any) -> Any:
    return await login(client, "district")


async def _fingerprint() -> tuple[int, dict[str, int]]:
    return await feed_head(), await table_counts()


async def _send(
    client: Any, endpoint: Endpoint, headers: dict[str, str], content: bytes | None, url: str
) -> Any:
    return await client.request(
        endpoint.method,
        url,
        content=content,
        headers={**headers, "Content-Type": "application/json"} if content is not None else headers,
    )


def _check(response: Any, what: str, problems: list[str], status: int | None = None) -> None:
    """Collect what is wrong with one response (all endpoints are checked before failing)."""
    if not 400 <= response.status_code < 500 or (status and response.status_code != status):
        problems.append(f"{what}: {response.status_code} {response.text[:200]}")
        return
    try:
        assert_error(response, response.status_code)
    except AssertionError as exc:
        problems.append(f"{what}: not the error envelope: {exc}")


BAD_BODIES: list[tuple[str, bytes]] = [
    ("malformed json", b'{"a": '),
    ("not utf-8", b'{"a": "\xff\xfe"}'),
    ("a list", b"[1, 2]"),
    ("a number", b"42"),
    ("null", b"null"),
    (
        "wrong types",
        json.dumps(
            {
                "username": 1,
                "password": [],
                "refresh_token": {},
                "display_name": 5,
                "role": 7,
                "org_unit_id": True,
                "active": "yes",
                "schema_version": "1",
                "mutations": "all",
                "endpoint": 3,
                "keys": "k",
            }
        ).encode(),
    ),
    ("unknown fields", json.dumps({"zz_unknown_field": 1, "__proto__": {"admin": True}}).encode()),
    ("deeply nested", b"[" * 5000 + b"]" * 5000),
]


async def test_every_endpoint_is_classified(endpoints: list[Endpoint]) -> None:
    for endpoint in endpoints:
        if endpoint.method in MUTATING:
            assert endpoint.has_body or endpoint.key in RAW_BODY | NO_BODY, (
                f"{endpoint}: declare its body, or list it in RAW_BODY or NO_BODY"
            )


async def test_bad_bodies_on_every_endpoint(
    client: Any, endpoints: list[Endpoint], admin: Any
) -> None:
    before = await _fingerprint()
    problems: list[str] = []
    checked = 0
    for endpoint in endpoints:
        if endpoint.method not in MUTATING or endpoint.key in NO_BODY:
            continue
        for name, content in BAD_BODIES:
            response = await _send(client, endpoint, admin.headers, content, endpoint.url())
            _check(response, f"{endpoint} with {name}", problems)
            checked += 1
    assert checked >= 6 * len(BAD_BODIES)
    assert not problems, "\n".join(problems)
    assert await _fingerprint() == before, "bad input must not write anything"


async def test_oversize_bodies_on_every_endpoint(
    client: Any, endpoints: list[Endpoint], admin: Any
) -> None:
    before = await _fingerprint()
    problems: list[str] = []
    big = b'{"a": "' + b"x" * OVERSIZE + b'"}'
    for endpoint in endpoints:
        if endpoint.method not in MUTATING or endpoint.key in NO_BODY:
            continue
        response = await _send(client, endpoint, admin.headers, big, endpoint.url())
        _check(response, f"{endpoint} with {len(big)} bytes", problems, 413)
    assert not problems, "\n".join(problems)
    assert await _fingerprint() == before


async def test_bad_path_and_query_parameters(
    client: Any, endpoints: list[Endpoint], admin: Any
) -> None:
    # the first pull builds the org-ancestors table the pull's SQL pre-filter reads (derived
    # data, not a write of the request): build it before counting
    assert (await client.get("/api/sync/pull", headers=admin.headers)).status_code == 200
    before = await _fingerprint()
    problems: list[str] = []
    for endpoint in endpoints:
        for param in endpoint.params:
            values: list[str] = []
            schema = param.get("schema", {})
            if param["in"] == "path":
                values = ["not-a-uuid", "0" * 1000, "%00", "..%2F..%2Fetc"]
            elif param["in"] == "query":
                if schema.get("type") == "integer":
                    values = ["ten", "1e9", "-1", "99999999999999999999999", ""]
                else:
                    values = ["\x00", "x" * 5000]
            for value in values:
                if param["in"] == "path":
                    url = endpoint.url(**{param["name"]: value})
                    response = await _send(client, endpoint, admin.headers, None, url)
                else:
                    response = await client.request(
                        endpoint.method,
                        endpoint.url(),
                        params={param["name"]: value},
                        headers=admin.headers,
                    )
                _check(response, f"{endpoint} with {param['name']}={value[:20]!r}", problems)
    assert not problems, "\n".join(problems)
    assert await _fingerprint() == before


async def test_no_token_on_every_private_endpoint(client: Any, endpoints: list[Endpoint]) -> None:
    before = await _fingerprint()
    problems: list[str] = []
    for endpoint in endpoints:
        if endpoint.public:
            continue
        for headers in ({}, {"Authorization": "Bearer garbage"}, {"Authorization": "Basic eDp5"}):
            response = await _send(client, endpoint, headers, b"{}", endpoint.url())
            _check(response, f"{endpoint} without a valid token", problems, 401)
    assert not problems, "\n".join(problems)
    assert await _fingerprint() == before


async def test_wrong_content_types(client: Any, endpoints: list[Endpoint], admin: Any) -> None:
    before = await _fingerprint()
    problems: list[str] = []
    for endpoint in endpoints:
        if endpoint.method not in MUTATING or endpoint.key in NO_BODY:
            continue
        response = await client.request(
            endpoint.method,
            endpoint.url(),
            content=b"username=a&password=b",
            headers={**admin.headers, "Content-Type": "application/x-www-form-urlencoded"},
        )
        _check(response, f"{endpoint} with a form body", problems)
    assert not problems, "\n".join(problems)
    assert await _fingerprint() == before


async def test_unknown_paths_and_methods(client: Any, admin: Any) -> None:
    problems: list[str] = []
    for method, path in (
        ("GET", "/api/nope"),
        ("DELETE", "/api/sync/push"),
        ("PUT", "/api/sync/pull"),
        ("GET", "/api/sync/push"),
    ):
        response = await client.request(method, path, headers=admin.headers)
        _check(response, f"{method} {path}", problems)
    assert not problems, "\n".join(problems)


NUL = "a\u0000b"
#: bodies of the right shape whose strings hold a NUL character (PostgreSQL's text and jsonb
#: refuse it: it must be turned away as bad input, never reach the database as a 500)
NUL_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/auth/login"): {"username": NUL, "password": NUL, "device_name": NUL},
    ("POST", "/api/auth/refresh"): {"refresh_token": NUL},
    ("POST", "/api/admin/users"): {
        "username": "nul.user",
        "password": "doorstep-demo",
        "display_name": NUL,
        "role": "grid_worker",
        "org_unit_id": "00000000-0000-0000-0000-000000000000",
    },
    ("PATCH", "/api/admin/users/{user_id}"): {"display_name": NUL},
    ("POST", "/api/push/subscriptions"): {
        "endpoint": "https://push.example.com/" + NUL,
        "keys": {"p256dh": NUL, "auth": NUL},
    },
}


async def test_nul_characters_in_strings(
    client: Any, endpoints: list[Endpoint], admin: Any
) -> None:
    from tests.helpers import COMMUNITY_A, new_dispute

    NUL_BODIES[("POST", "/api/admin/users")]["org_unit_id"] = str(COMMUNITY_A)
    gw = await login(client, "gw.a1")
    before = await _fingerprint()
    problems: list[str] = []
    known = {e.key: e for e in endpoints}
    for key, body in NUL_BODIES.items():
        endpoint = known[key]
        url = endpoint.url(user_id=admin.user_id) if "user_id" in endpoint.path else endpoint.url()
        response = await _send(client, endpoint, admin.headers, json.dumps(body).encode(), url)
        _check(response, f"{endpoint} with a NUL character", problems)
    # a push: the mutation is answered rejected/validation (or the request refused), never 500
    for fields in (
        new_dispute(title=NUL),
        new_dispute(tags=[NUL]),
        new_dispute(description=NUL),
        new_dispute(parties=[{"name": NUL}]),
    ):
        response = await gw.push(gw.mutation("disputes", fields=fields))
        if response.status_code == 200:
            [result] = response.json()["results"]
            if result["status"] != "rejected" or result["error"]["code"] != "validation":
                problems.append(f"push with a NUL character: {result}")
        else:
            _check(response, "push with a NUL character", problems)
    assert not problems, "\n".join(problems)
    after = await _fingerprint()
    # the rejected mutations are answered (device_answers) and nothing else changes
    assert after[0] == before[0]
    changed = {k for k in after[1] if after[1][k] != before[1].get(k)}
    assert changed <= {"device_answers"}, changed
