"""The `reports` collection as the server runs it."""

from __future__ import annotations

from server.specs import CollectionSpec
from server.volunteers import figures  # noqa: F401  (registers the `volunteers` stats section)
from server.volunteers.access import (
    admit_report,
    can_read_report,
    check_report_write,
    report_feed_scope,
    report_mutation_refs,
    report_scope,
)
from server.volunteers.points import award_points_on_answer
from server.volunteers.schema import REPORTS
from server.volunteers.tables import Report

REPORTS_SPEC = CollectionSpec(
    schema=REPORTS,
    table=Report,
    can_read=can_read_report,
    check_write=check_report_write,
    admit=admit_report,
    feed_scope=report_feed_scope,
    scope=report_scope,
    mutation_refs=report_mutation_refs,
    reactions=(award_points_on_answer,),
)
