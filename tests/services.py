"""Check that the services the tests need answer: PostgreSQL, Redis and, for the browser tests,
Debian's Chromium; and that nginx is installed (tests/server/test_nginx_overload.py).  Exits non-zero with a clear message when one is missing, so a CI run fails
instead of silently skipping tests."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys

PG_URL = os.environ.get("DOORSTEP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("DOORSTEP_TEST_REDIS_URL", "redis://127.0.0.1:6379")
CHROMIUM = os.environ.get("DOORSTEP_CHROMIUM", "/usr/bin/chromium")
#: as tests/nginx.py finds it
NGINX = os.environ.get("DOORSTEP_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"


async def _pg() -> str:
    import asyncpg

    conn = await asyncpg.connect(f"{PG_URL}/postgres", timeout=5)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


def main() -> int:
    problems = []
    try:
        print(f"  postgresql {asyncio.run(_pg())} at {PG_URL}")
    except Exception as exc:  # noqa: BLE001
        problems.append(f"PostgreSQL does not answer at {PG_URL}: {exc}")
    try:
        import redis

        info = redis.Redis.from_url(REDIS_URL, socket_timeout=3).info("server")
        print(f"  redis {info['redis_version']} at {REDIS_URL}")
    except Exception as exc:  # noqa: BLE001
        problems.append(f"Redis does not answer at {REDIS_URL}: {exc}")
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        problems.append(f"Chromium is missing at {CHROMIUM} (apt-get install -y chromium)")
    else:
        print(f"  chromium at {CHROMIUM}")
    if not os.access(NGINX, os.X_OK):
        problems.append(f"nginx is missing at {NGINX} (apt-get install -y nginx)")
    else:
        print(f"  nginx at {NGINX}")
    for problem in problems:
        print(f"MISSING: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
