"""`GET /api/command/stats`: every figure of COMMAND_API.md for an org unit's subtree and a
window, plus the sections other domains registered (server/command/sections.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from server.command import sql
from server.command.appeals import appeal_figures
from server.command.orders import order_figures
from server.command.sections import compute_sections
from server.command.sql import rate
from server.command.warnings import warning_figures
from server.command.window import StatsWindow
from server.replication.rows import iso


async def command_stats(w: StatsWindow) -> dict[str, Any]:
    if sql.side_by_side():
        # independent queries on their own pooled connections, side by side (a district
        # month's appeals, orders and warnings: docs/performance.md)
        appeals, orders, warnings, sections = await asyncio.gather(
            appeal_figures(w), order_figures(w), warning_figures(w), compute_sections(w)
        )
    else:  # one SQLite file: one query at a time
        appeals = await appeal_figures(w)
        orders = await order_figures(w)
        warnings = await warning_figures(w)
        sections = await compute_sections(w)
    by_child = []
    for child in w.children():
        received = resolved = 0
        for community, (n, r) in appeals.per_community.items():
            if w.tree.is_within(community, child.id):
                received, resolved = received + n, resolved + r
        issued = on_time = 0
        for community, counts in orders.by_community.items():
            if w.tree.is_within(community, child.id):
                issued += counts.counts["issued"]
                on_time += counts.counts["arrived_on_time"]
        by_child.append(
            {
                "org_unit_id": str(child.id),
                "name": child.name,
                "kind": child.kind,
                "received": received,
                "resolved": resolved,
                "resolution_rate": rate(resolved, received),
                "orders_issued": issued,
                "on_time_rate": rate(on_time, issued),
            }
        )
    return {
        "org_unit_id": str(w.org_unit_id),
        "from": iso(w.start),
        "to": iso(w.end),
        "appeals": appeals.appeals(),
        "resolution": appeals.resolution(),
        "orders": orders.as_json(w),
        "warnings": warnings,
        "satisfaction": appeals.satisfaction,
        "by_child": by_child,
        **sections,
    }
