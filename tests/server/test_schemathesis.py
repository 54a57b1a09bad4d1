"""The OpenAPI document is true (issue 9, item 10): schemathesis generates requests from
`/schema/openapi.json`, valid and invalid, sends them to a real `doorstep serve` on the test
database as several roles, and checks every answer: no 5xx, a documented status code, the
documented content type and body schema.

Bounded and seeded: a small fixed example budget per operation, role and mode, no shrinking,
derandomized.  The endpoints outside `server/replication/` are held to it; a larger run over
every endpoint (a report, not a gate) is a command:

    DOORSTEP_SCHEMATHESIS_ALL=1 DOORSTEP_SCHEMATHESIS_EXAMPLES=100 \\
        .venv/bin/pytest -q tests/server/test_schemathesis.py -p no:logging
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.helpers import DEMO_PASSWORD
from tests.server.replication.live_server import LiveServer

pytestmark = [pytest.mark.usefixtures("database"), pytest.mark.slow]

#: the endpoints this suite holds to the document
OWNED = (
    r"^/(health/|api/auth/|api/admin/(users|devices|audit)|api/push/|api/sync/|api/attachments/)"
)
EVERYTHING = r"^/(health|api)/"
ROLES = ["gw.a1", "admin.a", "district"]
PUBLIC_PATHS = {"/api/auth/login", "/api/auth/refresh", "/api/push/vapid-public-key"}
EXAMPLES = int(os.environ.get("DOORSTEP_SCHEMATHESIS_EXAMPLES", "6"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


#: Generated logins fail by the hundred from one address (the limiter is tested elsewhere), and
#: a valid request for the poke stream would hold it open for its whole lifetime.
LIVE_ENV = {
    "DOORSTEP_LOGIN_MAX_FAILURES_PER_ADDRESS": "100000",
    "DOORSTEP_EVENT_STREAM_SECONDS": "1",
}


@pytest.fixture(scope="module")
def live() -> Iterator[LiveServer]:
    saved = {name: os.environ.get(name) for name in LIVE_ENV}
    os.environ.update(LIVE_ENV)
    server = LiveServer(workers=1)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def bearer(live: LiveServer, username: str) -> dict[str, str]:
    response = httpx.post(
        f"{live.url}/api/auth/login",
        json={"username": username, "password": DEMO_PASSWORD, "device_name": "schemathesis"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def run(
    live: LiveServer, strategy: Any, headers: Callable[[], dict[str, str]], seen: Counter[int]
) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        response = case.call(base_url=live.url, headers=headers(), timeout=30)
        seen[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    check()


def fuzz(live: LiveServer, path_regex: str, seen: Counter[int]) -> list[str]:
    """Run every selected operation as every role in both modes; the failures found."""
    document = httpx.get(f"{live.url}/schema/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(document).include(path_regex=path_regex)
    roles = {role: bearer(live, role) for role in ROLES}
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # get_all_operations yields Ok here: the document is our own
        # a logout signs the device out: it gets a fresh login each time
        fresh = operation.path == "/api/auth/logout"
        # the replication endpoints do not declare their security yet: they need a token too
        secured = bool(operation.definition.raw.get("security")) or (
            operation.path.startswith("/api/") and operation.path not in PUBLIC_PATHS
        )
        for role in ROLES if secured else ["anonymous"]:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                if role == "anonymous":
                    headers: Callable[[], dict[str, str]] = dict
                elif fresh:
                    headers = partial(bearer, live, role)
                else:
                    headers = partial(dict, roles[role])
                try:
                    run(live, operation.as_strategy(generation_mode=mode), headers, seen)
                except Unsatisfiable:
                    # nothing to make invalid: no parameters and no body
                    assert mode is GenerationMode.NEGATIVE, operation.label
                except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collected, shown
                    failures.append(f"{operation.label} as {role} ({mode.value}): {exc}"[:3000])
    return failures


def test_owned_endpoints_conform_to_the_document(live: LiveServer) -> None:
    regex = EVERYTHING if os.environ.get("DOORSTEP_SCHEMATHESIS_ALL") == "1" else OWNED
    seen: Counter[int] = Counter()
    failures = fuzz(live, regex, seen)
    assert not failures, "\n\n".join(failures)
    # the run reached the handlers, not only the validators: successes and refusals alike
    assert {200, 400, 401, 403, 404} <= set(seen), seen
    assert not [status for status in seen if status >= 500], seen


def test_the_document_states_errors_and_auth() -> None:
    """The shape clients read: envelope errors, bearer auth, no Litestar default 400 body."""
    from server.app import create_app

    document = create_app().openapi_schema.to_schema()
    scheme = document["components"]["securitySchemes"]["bearer"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    me = document["paths"]["/api/auth/me"]["get"]
    assert me["security"] == [{"bearer": []}]
    assert "401" in me["responses"]
    login = document["paths"]["/api/auth/login"]["post"]
    assert {"400", "401", "429"} <= set(login["responses"])
    for status in ("400", "401", "429"):
        body = login["responses"][status]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/ErrorEnvelope"}, (status, body)
    create = document["paths"]["/api/admin/users"]["post"]["responses"]
    assert {"400", "401", "403", "409", "422"} <= set(create)


def test_the_sync_endpoints_state_their_errors_auth_and_body() -> None:
    """Push, pull, schema, attachments and the audit trail: bearer auth, the real error
    statuses (envelope), and a push body described for clients."""
    from server.app import create_app

    paths = create_app().openapi_schema.to_schema()["paths"]
    expected = {
        ("/api/sync/push", "post"): {"400", "401", "413", "426", "429"},
        ("/api/sync/pull", "get"): {"400", "401"},
        ("/api/sync/schema", "get"): {"401"},
        ("/api/attachments/{sha256}", "put"): {"200", "201", "400", "401", "413", "415", "422"},
        ("/api/attachments/{sha256}", "get"): {"401", "404"},
        ("/api/admin/audit/{collection}/{record_id}", "get"): {"400", "401", "403", "404"},
    }
    for (path, method), statuses in expected.items():
        operation = paths[path][method]
        assert operation["security"] == [{"bearer": []}], path
        assert statuses <= set(operation["responses"]), (path, sorted(operation["responses"]))
        body = operation["responses"]["401"]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/ErrorEnvelope"}, (path, body)
    description = paths["/api/sync/push"]["post"]["description"]
    assert "mutations" in description and "base_version" in description and "500" in description
