"""`doorstep`: the one command users and operators type (DESIGN.md "Running it")."""

from __future__ import annotations

import argparse
import asyncio
import base64
import getpass
import os
import sys
from pathlib import Path
from typing import Any

DEMO_PASSWORD = "doorstep-demo"
DEMO_LOGINS = [
    ("gw.a1", "网格员 grid worker, community A"),
    ("gw.a2", "网格员 grid worker, community A"),
    ("gw.b1", "网格员 grid worker, community B"),
    ("lawyer.a", "驻社区律师 lawyer, community A"),
    ("psy.a", "心理咨询师 psychologist, community A room"),
    ("psy.b", "心理咨询师 psychologist, street room"),
    ("admin.a", "社区诉求服务大厅 community admin A"),
    ("admin.b", "社区诉求服务大厅 community admin B"),
    ("dept.housing", "职能部门 district housing department"),
    ("street.a", "街道督办 street admin"),
    ("district", "区级 district admin"),
]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def generate_vapid_keys() -> tuple[str, str]:
    """(private key, application server public key), both base64url, the web-push formats."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64url(private), _b64url(public)


def _prepare_embedded_environment(data_dir: str | None) -> None:
    """Embedded mode: SQLite in the data directory and secrets generated once and kept there."""
    from server.datadir import secure_data_dir
    from server.settings import embedded_secret, get_settings

    if data_dir:
        os.environ["DOORSTEP_DATA_DIR"] = data_dir
    get_settings.cache_clear()
    settings = get_settings()
    secure_data_dir(settings)
    os.environ.setdefault("DOORSTEP_SECRET_KEY", embedded_secret(settings, "secret_key"))
    vapid_file = settings.data_dir / ".vapid_private_key"
    if "DOORSTEP_VAPID_PRIVATE_KEY" not in os.environ:
        if not vapid_file.exists():
            private, _ = generate_vapid_keys()
            vapid_file.write_text(private)
            vapid_file.chmod(0o600)
        os.environ["DOORSTEP_VAPID_PRIVATE_KEY"] = vapid_file.read_text().strip()
    os.environ.setdefault("DOORSTEP_VAPID_SUBJECT", "mailto:admin@doorstep.invalid")
    get_settings.cache_clear()


async def _migrate() -> None:
    from server.db import migrate

    await migrate()


async def _seed_demo(only_if_empty: bool, with_records: bool = False) -> dict[str, int] | None:
    from server.accounts.tables import User
    from server.demo_records import seed_demo_records
    from server.org.importer import DEMO_FILE, import_file

    if only_if_empty and await User.count() > 0:
        return None
    counts = await import_file(DEMO_FILE)
    if with_records:
        counts["demo_records"] = await seed_demo_records()
    return counts


def _print_banner(url: str) -> None:
    print()
    print("  家门口 Doorstep 已启动 / is running")
    print(f"  打开 Open: {url}")
    print(f"  演示账号 Demo logins (密码 password: {DEMO_PASSWORD}):")
    for username, who in DEMO_LOGINS:
        print(f"    {username:<14} {who}")
    print("  示例纠纷等数据 Sample disputes: doorstep seed --demo --records")
    print("  按 Ctrl+C 停止 / Ctrl+C to stop")
    print(flush=True)


def cmd_run(args: argparse.Namespace) -> int:
    _prepare_embedded_environment(args.data_dir)
    from server.datadir import DataDirBusy, hold_data_dir_lock
    from server.settings import get_settings

    settings = get_settings()
    try:
        hold_data_dir_lock(settings)
    except DataDirBusy as exc:
        print(f"doorstep: {exc}", file=sys.stderr)
        return 1
    asyncio.run(_migrate())
    seeded = asyncio.run(_seed_demo(only_if_empty=True))
    if seeded:
        print(f"demo data loaded: {seeded}", flush=True)
    url = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}/"
    _print_banner(url)
    print(f"  data: {settings.data_dir}  queue: {'redis' if settings.redis_url else 'embedded'}")
    return _serve(args.host, args.port, embedded=True)


def _serve(
    host: str,
    port: int,
    *,
    embedded: bool,
    workers: int = 1,
    limit_concurrency: int | None = None,
    backlog: int = 2048,
) -> int:
    import uvicorn

    from server.settings import get_settings

    factory = "server.app:create_embedded_app" if embedded else "server.app:create_app"
    uvicorn.run(
        factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        # X-Forwarded-For is believed only from the configured proxies (the compose network):
        # the client address it names is what the per-address login limit counts.
        proxy_headers=not embedded,
        forwarded_allow_ips=get_settings().trusted_proxies,
        # Live event streams (server/live/stream.py) never end by themselves: without a bound
        # a restart would wait for every open command screen to go away.
        timeout_graceful_shutdown=10,
        # Graceful overload (docs/performance.md "Overload"): connections beyond
        # --limit-concurrency are answered 503 by uvicorn before the app sees them, and a short
        # --backlog keeps the kernel's accept queue from holding requests for seconds.
        limit_concurrency=limit_concurrency,
        backlog=backlog,
    )
    return 0


def _require_production() -> None:
    from server.settings import ConfigError, get_settings

    try:
        get_settings().require_production_secrets()
    except ConfigError as exc:
        print(f"doorstep: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def cmd_serve(args: argparse.Namespace) -> int:
    _require_production()
    if args.migrate:
        asyncio.run(_migrate())
    return _serve(
        args.host,
        args.port,
        embedded=False,
        workers=args.workers,
        limit_concurrency=args.limit_concurrency,
        backlog=args.backlog,
    )


def cmd_worker(args: argparse.Namespace) -> int:
    _require_production()
    from server.worker import celery_app

    celery_app.worker_main(
        ["worker", "--loglevel", args.loglevel, "--concurrency", str(args.concurrency)]
    )
    return 0


def cmd_beat(args: argparse.Namespace) -> int:
    _require_production()
    from server.settings import get_settings
    from server.worker import celery_app

    schedule = str(get_settings().data_dir / "celerybeat-schedule")
    get_settings().data_dir.mkdir(parents=True, exist_ok=True)
    celery_app.start(["beat", "--loglevel", args.loglevel, "--schedule", schedule])
    return 0


def cmd_migrate(_: argparse.Namespace) -> int:
    asyncio.run(_migrate())
    print("migrations applied")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    if not args.demo:
        print("doorstep seed: say --demo to load the demo org tree and users", file=sys.stderr)
        return 2
    asyncio.run(_migrate())
    counts = asyncio.run(_seed_demo(only_if_empty=False, with_records=args.records))
    print(f"demo data: {counts}")
    return 0


def cmd_import_org(args: argparse.Namespace) -> int:
    from server.org.importer import ImportError_, import_file

    path = Path(args.file)
    if not path.is_file():
        print(f"doorstep import-org: no such file: {path}", file=sys.stderr)
        return 2
    asyncio.run(_migrate())
    try:
        counts = asyncio.run(import_file(path))
    except ImportError_ as exc:
        print(f"doorstep import-org: {exc}", file=sys.stderr)
        return 2
    print(f"imported {path}: {counts}")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from server.accounts.services import AccountService
    from server.http.errors import ApiError
    from server.org.importer import unit_id
    from server.org.tree import load_tree
    from server.settings import get_settings
    from sync.schema import ROLES

    if args.role not in ROLES.split():
        print(f"doorstep create-user: role must be one of {ROLES}", file=sys.stderr)
        return 2
    password = os.environ.get("DOORSTEP_NEW_USER_PASSWORD") or getpass.getpass("password: ")
    if len(password) < 8:
        print("doorstep create-user: the password needs at least 8 characters", file=sys.stderr)
        return 2

    async def create() -> dict[str, Any]:
        await _migrate()
        tree = await load_tree(force=True)
        org = unit_id(args.org_code)
        if tree.get(org) is None:
            raise ApiError(422, "validation", f"unknown org unit code {args.org_code}")
        service = AccountService(get_settings(), secret_key="unused")
        return await service.create_user(
            username=args.username,
            password=password,
            display_name=args.display_name or args.username,
            role=args.role,
            org_unit_id=org,
        )

    try:
        user = asyncio.run(create())
    except ApiError as exc:
        print(f"doorstep create-user: {exc.message}", file=sys.stderr)
        return 2
    print(f"created user {user['username']} ({user['role']}) id {user['id']}")
    return 0


def cmd_vapid_keys(_: argparse.Namespace) -> int:
    private, public = generate_vapid_keys()
    print(f"DOORSTEP_VAPID_PRIVATE_KEY={private}")
    print(f"# application server public key (served at /api/push/vapid-public-key): {public}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="doorstep", description="家门口 Doorstep: community appeal services, offline first"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="everything in one process on SQLite, with demo data")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--data-dir", default=None, help="defaults to $DOORSTEP_DATA_DIR or ./var")
    run.set_defaults(func=cmd_run)

    serve = sub.add_parser("serve", help="the web server (production)")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--migrate", action="store_true", help="apply migrations first")
    serve.add_argument(
        "--limit-concurrency",
        type=int,
        default=None,
        help="connections per worker beyond which uvicorn answers 503 at once (open event "
        "streams count: size it above the streams a worker holds)",
    )
    serve.add_argument(
        "--backlog", type=int, default=2048, help="the listening socket's accept queue"
    )
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="the Celery worker (push delivery)")
    worker.add_argument("--loglevel", default="INFO")
    worker.add_argument("--concurrency", type=int, default=4)
    worker.set_defaults(func=cmd_worker)

    beat = sub.add_parser("beat", help="the scheduler: deadlines, sweeps, reminders")
    beat.add_argument("--loglevel", default="INFO")
    beat.set_defaults(func=cmd_beat)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)

    seed = sub.add_parser("seed", help="load data")
    seed.add_argument("--demo", action="store_true", help="the Guangming demo org tree and users")
    seed.add_argument(
        "--records",
        action="store_true",
        help="with --demo: also a few sample disputes, psych slots and a dispatch order",
    )
    seed.set_defaults(func=cmd_seed)

    imp = sub.add_parser("import-org", help="load an org tree from a JSON or YAML file")
    imp.add_argument("file")
    imp.set_defaults(func=cmd_import_org)

    cu = sub.add_parser("create-user", help="create an account (password from a prompt)")
    cu.add_argument("--username", required=True)
    cu.add_argument("--role", required=True)
    cu.add_argument("--org-code", required=True, help="the org unit's code, e.g. GM.GUANGMING")
    cu.add_argument("--display-name", default=None)
    cu.set_defaults(func=cmd_create_user)

    sub.add_parser("vapid-keys", help="print a new VAPID key pair").set_defaults(
        func=cmd_vapid_keys
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import server  # noqa: F401 - sets PICCOLO_CONF before any table is touched

    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
