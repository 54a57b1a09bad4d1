"""Celery tasks of the command view: the stored monthly workbooks (server/command/archive.py).

`command.build_monthly_report` builds one unit's month (queued by the first request that finds
no current workbook); `command.build_last_month_reports` runs from `doorstep beat` on the 1st
and builds the month just closed for the district and its streets.  Both are safe to run twice
(a build replaces the stored file whole)."""

from __future__ import annotations

import asyncio
from uuid import UUID

from server.command import archive
from server.worker import app

BUILD_MONTHLY_REPORT = archive.BUILD_MONTHLY_REPORT
BUILD_LAST_MONTH_REPORTS = "command.build_last_month_reports"


@app.task(name=BUILD_MONTHLY_REPORT, acks_late=True, time_limit=3600)  # type: ignore[untyped-decorator]
def build_monthly_report(org_unit_id: str, month: str) -> int:
    """Build and store one unit's workbook of one month; returns its record rows."""
    return asyncio.run(archive.build_by_id(UUID(org_unit_id), month))


@app.task(name=BUILD_LAST_MONTH_REPORTS, acks_late=True, time_limit=6 * 3600)  # type: ignore[untyped-decorator]
def build_last_month_reports() -> int:
    """Last month's workbooks of every district and street; returns how many were built."""
    return asyncio.run(archive.build_last_month())
