"""Issue 16 "Done when": 50 concurrent awards against a budget that fits 20, sent to TWO
`doorstep serve` processes on one PostgreSQL database, leave exactly 20 awards, a balance of
zero (never below) and a ledger that sums to the fund's figures; one key replayed at both
servers at once pays once.  The fund row lock (server/incentives/ledger.py) is what holds
across processes: nothing in one server's memory could."""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import PG_SERVER_URL, _admin_pg
from tests.helpers import COMMUNITY_A, DEMO_PASSWORD
from tests.server.test_processes import DOORSTEP, free_port, process_env, stop, wait_ready
from tests.server.volunteers.support import PASSWORD, award_body, report_fields

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

BUDGET_FOR = 20
AMOUNT = 500


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[list[str], str]]:
    name = f"doorstep_awards_{uuid.uuid4().hex[:8]}"
    _admin_pg(f'CREATE DATABASE "{name}"')
    dsn = f"{PG_SERVER_URL}/{name}"
    env = process_env(name, 7, tmp_path, "two-servers", DOORSTEP_ARGON2_PROFILE="test")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        urls = []
        for n in range(2):
            port = free_port()
            command = [DOORSTEP, "serve", "--host", "127.0.0.1", "--port", str(port)]
            if n == 0:
                command.insert(2, "--migrate")
            proc = subprocess.Popen(
                command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
            procs.append(proc)
            wait_ready(f"http://127.0.0.1:{port}/health/ready", proc, timeout=90)
            urls.append(f"http://127.0.0.1:{port}")
            if n == 0:
                seeded = subprocess.run(
                    [DOORSTEP, "seed", "--demo"], env=env, capture_output=True, timeout=120
                )
                assert seeded.returncode == 0, seeded.stderr
        yield urls, dsn
    finally:
        outputs = [stop(p) for p in procs]
        _admin_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    for output in outputs:
        assert "Traceback" not in output, output


async def _login(
    http: httpx.AsyncClient, base: str, username: str, password: str
) -> dict[str, Any]:
    response = await http.post(
        f"{base}/api/auth/login",
        json={"username": username, "password": password, "device_name": "two servers"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _auth(session: dict[str, Any], **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['access_token']}", **extra}


async def _volunteer_with_report(
    http: httpx.AsyncClient, base: str, admin: dict[str, Any]
) -> tuple[str, str]:
    made = await http.post(f"{base}/api/volunteers/invites", json={}, headers=_auth(admin))
    assert made.status_code == 201, made.text
    username = f"vol.{uuid.uuid4().hex[:8]}"
    joined = await http.post(
        f"{base}/api/volunteers/join",
        json={
            "code": made.json()["code"],
            "username": username,
            "password": PASSWORD,
            "display_name": "并发测试志愿者",
        },
    )
    assert joined.status_code == 201, joined.text
    volunteer = await _login(http, base, username, PASSWORD)
    report_id = str(uuid.uuid4())
    pushed = await http.post(
        f"{base}/api/sync/push",
        headers=_auth(volunteer),
        json={
            "schema_version": 1,
            "mutations": [
                {
                    "id": str(uuid.uuid4()),
                    "seq": 1,
                    "collection": "reports",
                    "record_id": report_id,
                    "op": "upsert",
                    "base_version": 0,
                    "hlc": f"{int(time.time() * 1000):013d}-0001-{volunteer['device_id']}",
                    "fields": report_fields(),
                }
            ],
        },
    )
    assert pushed.status_code == 200 and pushed.json()["results"][0]["status"] == "applied", (
        pushed.text
    )
    return volunteer["user"]["id"], report_id


async def _scenario(urls: list[str], dsn: str) -> None:
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        admin = await _login(http, urls[0], "admin.a", DEMO_PASSWORD)
        street = await _login(http, urls[1], "street.a", DEMO_PASSWORD)
        volunteer_id, report_id = await _volunteer_with_report(http, urls[0], admin)
        fund_query = {"org_unit_id": str(COMMUNITY_A)}
        year = (
            await http.get(
                f"{urls[0]}/api/incentives/fund", params=fund_query, headers=_auth(admin)
            )
        ).json()["year"]
        budget = await http.put(
            f"{urls[1]}/api/incentives/fund",
            headers=_auth(street),
            json={"org_unit_id": str(COMMUNITY_A), "year": year, "budget_fen": BUDGET_FOR * AMOUNT},
        )
        assert budget.status_code == 200, budget.text

        async def award(n: int) -> httpx.Response:
            return await http.post(
                f"{urls[n % 2]}/api/incentives/awards",
                json=award_body(volunteer_id, report_id, AMOUNT),
                headers=_auth(admin, **{"Idempotency-Key": f"race-{n}"}),
            )

        answers = await asyncio.gather(*(award(n) for n in range(50)))
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [201] * BUDGET_FOR + [409] * (50 - BUDGET_FOR), [
            a.text for a in answers if a.status_code not in (201, 409)
        ]
        assert all(
            a.json()["error"]["code"] == "budget_exceeded" for a in answers if a.status_code == 409
        )
        # both servers took part
        served = {str(a.request.url.port) for a in answers if a.status_code == 201}
        assert len(served) == 2

        # one key replayed at both servers at once pays once (a budget with room again)
        await http.put(
            f"{urls[1]}/api/incentives/fund",
            headers=_auth(street),
            json={
                "org_unit_id": str(COMMUNITY_A),
                "year": year,
                "budget_fen": (BUDGET_FOR + 1) * AMOUNT,
            },
        )
        replays = await asyncio.gather(
            *(
                http.post(
                    f"{urls[n % 2]}/api/incentives/awards",
                    json=award_body(volunteer_id, report_id, AMOUNT),
                    headers=_auth(admin, **{"Idempotency-Key": "one-key"}),
                )
                for n in range(10)
            )
        )
        assert {r.status_code for r in replays} == {201}
        assert len({r.json()["id"] for r in replays}) == 1

        figures = (
            await http.get(
                f"{urls[1]}/api/incentives/fund", params=fund_query, headers=_auth(admin)
            )
        ).json()
        assert figures["awarded"] == (BUDGET_FOR + 1) * AMOUNT
        assert figures["balance"] == 0

    conn = await asyncpg.connect(dsn)
    try:
        fund = await conn.fetchrow(
            "SELECT id, budget_fen, awarded_fen, paid_fen FROM incentive_funds"
            " WHERE org_unit_id = $1 AND year = $2",
            COMMUNITY_A,
            year,
        )
        assert fund is not None
        awards = await conn.fetchval(
            "SELECT COUNT(*) FROM incentive_awards WHERE fund_id = $1", fund["id"]
        )
        assert awards == BUDGET_FOR + 1
        sums = {
            r["kind"]: int(r["total"])
            for r in await conn.fetch(
                "SELECT kind, SUM(amount_fen) AS total FROM incentive_ledger WHERE fund_id = $1"
                " GROUP BY kind",
                fund["id"],
            )
        }
        assert sums.get("budget", 0) == fund["budget_fen"]
        assert sums.get("award", 0) + sums.get("reversal", 0) == fund["awarded_fen"]
        assert sums.get("payout", 0) == fund["paid_fen"]
        assert fund["budget_fen"] - fund["awarded_fen"] >= 0
        # and the ledger refuses to be rewritten, whoever connects
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await conn.execute("DELETE FROM incentive_ledger")
    finally:
        await conn.close()


def test_fifty_awards_through_two_servers_leave_exactly_twenty(
    two_servers: tuple[list[str], str],
) -> None:
    urls, dsn = two_servers
    asyncio.run(_scenario(urls, dsn))
