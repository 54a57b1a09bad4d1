"""The feed heads across two app server processes sharing PostgreSQL and Redis: a commit on
one server reaches a pull on the other at once, though both answer quiet pulls from their own
index (server/replication/heads.py: the Redis commit counter tells every process its index is
unsure until its next poll)."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sync.schema import SCHEMA_VERSION
from tests.conftest import _admin_pg
from tests.helpers import COMMUNITY_A, DEMO_PASSWORD, new_dispute
from tests.server.test_processes import DOORSTEP, free_port, process_env, stop, wait_ready


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[str, str]]:
    name = f"doorstep_heads_{uuid.uuid4().hex[:8]}"
    _admin_pg(f'CREATE DATABASE "{name}"')
    env = process_env(name, 6, tmp_path, "heads", DOORSTEP_ARGON2_PROFILE="test")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        urls = []
        for migrate in (True, False):
            port = free_port()
            args = [DOORSTEP, "serve", "--host", "127.0.0.1", "--port", str(port)]
            proc = subprocess.Popen(
                [*args, "--migrate"] if migrate else args,
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            procs.append(proc)
            wait_ready(f"http://127.0.0.1:{port}/health/ready", proc, timeout=90)
            urls.append(f"http://127.0.0.1:{port}")
            if migrate:
                subprocess.run(
                    [DOORSTEP, "seed", "--demo"], env=env, check=True, capture_output=True
                )
        yield urls[0], urls[1]
    finally:
        for proc in procs:
            stop(proc)
        _admin_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _login(base: str, username: str) -> dict[str, str]:
    response = httpx.post(
        f"{base}/api/auth/login",
        json={"username": username, "password": DEMO_PASSWORD},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return {"Authorization": f"Bearer {body['access_token']}", "X-Device": body["device_id"]}


def _pull(base: str, auth: dict[str, str], cursor: str | None) -> dict[str, Any]:
    params = {"cursor": cursor} if cursor else {}
    response = httpx.get(f"{base}/api/sync/pull", params=params, headers=auth, timeout=10)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _catch_up(base: str, auth: dict[str, str]) -> str:
    cursor = None
    while True:
        body = _pull(base, auth, cursor)
        cursor = body["cursor"]
        if not body["has_more"]:
            return str(cursor)


@pytest.mark.postgres_only
@pytest.mark.slow  # two real `doorstep serve` processes
def test_a_commit_on_one_server_reaches_a_pull_on_the_other(
    two_servers: tuple[str, str],
) -> None:
    one, two = two_servers
    reader, writer = _login(one, "gw.a2"), _login(two, "gw.a1")
    cursor = _catch_up(one, reader)
    for attempt in range(5):
        time.sleep(1.2)  # let server one's index poll past the cursor and go quiet
        assert _pull(one, reader, cursor)["changes"] == []
        record_id = str(uuid.uuid4())
        mutation = {
            "id": str(uuid.uuid4()),
            "seq": attempt + 1,
            "collection": "disputes",
            "record_id": record_id,
            "op": "upsert",
            "base_version": 0,
            "hlc": f"{int(time.time() * 1000):013d}-{attempt + 1:04x}-{writer['X-Device']}",
            "fields": new_dispute(COMMUNITY_A),
        }
        pushed = httpx.post(
            f"{two}/api/sync/push",
            json={"schema_version": SCHEMA_VERSION, "mutations": [mutation]},
            headers=writer,
            timeout=10,
        )
        assert pushed.status_code == 200, pushed.text
        assert pushed.json()["results"][0]["status"] == "applied", pushed.text
        # at once, on the other server: the change, never a quiet "nothing"
        body = _pull(one, reader, cursor)
        assert [c["record_id"] for c in body["changes"]] == [record_id], body
        cursor = body["cursor"]
