"""Stored monthly reports: a district month's workbook is a document of record, built once.

200,000 disputes are 2 million cells; XlsxWriter writes them in minutes, not in the 5 s a
request may take (docs/performance.md, "The command view").  So a month's workbook is kept
under the data directory once built (`<data>/reports/monthly/<org unit>/<YYYY-MM>.xlsx`, with
`<YYYY-MM>.json` saying when it was built and from which data), and the endpoint serves the
stored file:

- built by `doorstep beat` on the 1st for the month just closed (the district and its streets:
  `command.build_last_month_reports`, server/command/tasks.py), or queued by the first request
  that finds none (Celery when Redis is configured, else in this process: embedded mode);
- a closed month's file is current while its *data stamp* holds: per table (disputes, orders,
  warnings of the month in the subtree, deleted ones included), the row count and the latest
  `updated_at`.  A late edit (a callback rating, a deletion, a check-in verified) changes the
  stamp: the next request queues a rebuild and is served the previous file meanwhile, marked
  with its build time (`X-Report-Built-At`, and 汇总 says it);
- the month under way changes by the minute: its stored file serves for `OPEN_MONTH_MAX_AGE`,
  then a rebuild is queued;
- small scopes (a community, a street: at most `on_request_rows()` records, 25,000 unless
  DOORSTEP_REPORT_ON_REQUEST_ROWS says otherwise) are built on request, as before, and a closed
  month's is kept too.

While a build is queued or runs, `<YYYY-MM>.building.json` holds its progress (rows written of
the total), which a request that must wait is answered with (202), so the screen can show it;
it is written when the build is queued, so requests made before a worker takes the job do not
queue it again.  The worker and the app servers share the data directory (docker-compose.yml
mounts one volume on all of them).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from server.command import sql
from server.command.appeals import received_where
from server.command.orders import issued_where
from server.command.report import write_workbook
from server.command.warnings import raised_where
from server.command.window import StatsWindow, parse_month, window_of
from server.org.tree import load_tree
from server.replication.rows import iso
from server.settings import get_settings

log = logging.getLogger("doorstep.command.archive")

#: how long a stored workbook of the month under way is served before a rebuild
OPEN_MONTH_MAX_AGE = timedelta(hours=1)
#: the Celery task that builds one unit's month (server/command/tasks.py)
BUILD_MONTHLY_REPORT = "command.build_monthly_report"
#: what a request told to wait is asked to wait before asking again
RETRY_AFTER_SECONDS = 5
#: a build that has said nothing for this long is taken for dead (a killed worker)
STALE_BUILD = timedelta(minutes=10)


@dataclass(frozen=True)
class Stored:
    """A stored workbook: where, when built, and whether it is current for its data."""

    path: Path
    built_at: datetime
    current: bool


@dataclass(frozen=True)
class Building:
    """A build under way: what a request that must wait is told."""

    started_at: str | None
    rows_written: int
    rows_total: int


def on_request_rows() -> int:
    """Records of the month up to which a workbook is built on request (~5 s on a loaded box
    at the default 25,000; DOORSTEP_REPORT_ON_REQUEST_ROWS)."""
    return get_settings().report_on_request_rows


def reports_dir() -> Path:
    return get_settings().data_dir / "reports" / "monthly"


def _paths(unit_id: UUID, month: str) -> tuple[Path, Path, Path]:
    base = reports_dir() / str(unit_id)
    return base / f"{month}.xlsx", base / f"{month}.json", base / f"{month}.building.json"


# -- the data stamp ---------------------------------------------------------------------------
async def data_stamp(w: StatsWindow) -> dict[str, Any]:
    """Per table, how many records of the window (deleted ones included) and when the last
    changed: a late edit to the month changes it.  One indexed scan per table."""
    parts, args = [], []
    for name, table, alias, where in (
        ("disputes", "disputes", "d", received_where),
        ("dispatch_orders", "dispatch_orders", "o", issued_where),
        ("warnings", "warnings", "wr", raised_where),
    ):
        condition, cond_args = where(w, alias)
        # every row of the window, deleted or not: a deletion is a late edit too
        condition = condition.replace(f"{alias}.deleted = {{}} AND ", "", 1)
        parts.append(
            f"SELECT {{}} AS name, COUNT(*) AS n, MAX({alias}.updated_at) AS latest "
            f"FROM {table} {alias} WHERE {condition}"
        )
        args += [name, *cond_args[1:]]
    rows = await sql.fetch(" UNION ALL ".join(parts), *args)
    return {
        row["name"]: [int(row["n"]), _text_time(row["latest"])]
        for row in sorted(rows, key=lambda r: str(r["name"]))
    }


def _text_time(value: Any) -> str | None:
    if value is None:
        return None
    return iso(value) if isinstance(value, datetime) else str(value)


def stamp_rows(stamp: dict[str, Any]) -> int:
    return sum(int(count) for count, _ in stamp.values())


# -- reading what is stored -------------------------------------------------------------------
def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def stored(w: StatsWindow, month: str, stamp: dict[str, Any], now: datetime) -> Stored | None:
    """The stored workbook of this unit and month, if any, and whether it is current."""
    xlsx, meta_path, _ = _paths(w.unit.id, month)
    meta = _read_json(meta_path)
    if meta is None or not xlsx.exists():
        return None
    try:
        built_at = datetime.fromisoformat(str(meta["built_at"]))
    except (KeyError, ValueError):
        return None
    # a closed month: current while its data is what it was built from; the month under way:
    # for a while
    closed = w.end <= now
    current = meta.get("stamp") == stamp if closed else now - built_at < OPEN_MONTH_MAX_AGE
    return Stored(xlsx, built_at, current)


def building(unit_id: UUID, month: str, now: datetime) -> Building | None:
    """The build of this unit and month under way, if one is (and alive)."""
    _, _, progress_path = _paths(unit_id, month)
    progress = _read_json(progress_path)
    if progress is None:
        return None
    try:
        touched = datetime.fromtimestamp(progress_path.stat().st_mtime, UTC)
    except OSError:
        return None
    if now - touched > STALE_BUILD:
        return None
    return Building(
        progress.get("started_at"),
        int(progress.get("rows_written") or 0),
        int(progress.get("rows_total") or 0),
    )


# -- building ---------------------------------------------------------------------------------
def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid4().hex}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


async def build(w: StatsWindow, month: str) -> Stored:
    """Build and store the workbook of this window's unit and month (the file appears whole:
    written beside, then renamed).  The stamp is taken first, so an edit made during the build
    leaves the file not current and the next request rebuilds."""
    xlsx, meta_path, progress_path = _paths(w.unit.id, month)
    xlsx.parent.mkdir(parents=True, exist_ok=True)
    stamp = await data_stamp(w)
    built_at = datetime.now(UTC)
    total = stamp_rows(stamp)
    state = {"started_at": iso(built_at), "rows_written": 0, "rows_total": total}
    _write_atomically(progress_path, json.dumps(state))

    def progress(rows: int) -> None:
        state["rows_written"] = rows
        _write_atomically(progress_path, json.dumps(state))

    tmp = xlsx.with_name(f".{xlsx.name}.{uuid4().hex}.tmp")
    try:
        rows = await write_workbook(str(tmp), w, month, built_at=built_at, progress=progress)
        os.replace(tmp, xlsx)
        meta = {"built_at": built_at.isoformat(), "stamp": stamp, "rows": rows}
        _write_atomically(meta_path, json.dumps(meta, ensure_ascii=False))
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
        with contextlib.suppress(OSError):
            progress_path.unlink()
    return Stored(xlsx, built_at, True)


async def build_by_id(unit_id: UUID, month: str) -> int:
    """What the job runs: build the month's workbook of a unit (by id); returns its rows."""
    tree = await load_tree()
    unit = tree.get(unit_id)
    if unit is None:
        log.warning("monthly report of unknown unit %s", unit_id)
        return 0
    start, end = parse_month(month)
    done = await build(window_of(tree, unit, start, end), month)
    meta = _read_json(done.path.with_suffix(".json")) or {}
    return int(meta.get("rows") or 0)


def last_month(now: datetime | None = None) -> str:
    """The Beijing-time month before the one under way."""
    beijing = (now or datetime.now(UTC)) + timedelta(hours=8)
    year, month = (beijing.year, beijing.month - 1) if beijing.month > 1 else (beijing.year - 1, 12)
    return f"{year:04d}-{month:02d}"


async def build_last_month() -> int:
    """`doorstep beat` on the 1st: last month's workbooks of every district and street."""
    tree = await load_tree()
    month = last_month()
    built = 0
    for unit in tree.units.values():
        if unit.kind in ("district", "street"):
            await build_by_id(unit.id, month)
            built += 1
    return built


# -- queueing ---------------------------------------------------------------------------------
#: builds running in this process (embedded mode, or no broker), by (unit, month)
_LOCAL: dict[tuple[UUID, str], asyncio.Task[Any]] = {}


def queue(unit_id: UUID, month: str, rows_total: int) -> Building:
    """Have the workbook built: a Celery task when Redis is configured, else in this process
    (one build per unit and month at a time).  The progress file is written first, so the
    requests made until a worker takes the job see it queued and do not queue it again (a job
    lost with its broker is queued again once the file is `STALE_BUILD` old)."""
    queued = Building(iso(datetime.now(UTC)), 0, rows_total)
    _, _, progress_path = _paths(unit_id, month)
    progress_path.parent.mkdir(parents=True, exist_ok=True)
    state = {"started_at": queued.started_at, "rows_written": 0, "rows_total": rows_total}
    _write_atomically(progress_path, json.dumps(state))
    if get_settings().redis_url:
        try:
            from server.worker import app  # Celery is for production; embedded mode never loads it

            # by name: server/command/tasks.py declares it (and imports this module)
            app.send_task(BUILD_MONTHLY_REPORT, args=[str(unit_id), month])
            return queued
        except Exception:  # a broker outage: build here rather than not at all
            log.exception("could not queue the monthly report; building in this process")
    key = (unit_id, month)
    running = _LOCAL.get(key)
    if running is None or running.done():
        _LOCAL[key] = asyncio.get_running_loop().create_task(_build_here(unit_id, month))
    return queued


async def _build_here(unit_id: UUID, month: str) -> None:
    try:
        await build_by_id(unit_id, month)
    except Exception:
        log.exception("monthly report of %s %s failed", unit_id, month)


async def serve(w: StatsWindow, month: str) -> Stored | Building:
    """The workbook a request is answered with: a stored file, or the build it must wait for."""
    now = datetime.now(UTC)
    stamp = await data_stamp(w)
    small = stamp_rows(stamp) <= on_request_rows()
    if small and w.end > now:  # a small scope's month under way: always built fresh
        return await build(w, month)
    found = stored(w, month, stamp, now)
    if found is not None and found.current:
        return found
    if small:
        return await build(w, month)
    under_way = building(w.unit.id, month, now)
    if under_way is None:
        under_way = queue(w.unit.id, month, stamp_rows(stamp))
    # the previous build of the month (marked with its time) rather than nothing
    return found if found is not None else under_way
