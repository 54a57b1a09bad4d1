"""The `warnings` collection as the server runs it."""

from __future__ import annotations

from server.specs import CollectionSpec, Job
from server.warnings.access import can_read_warning, check_warning_write, warning_scope
from server.warnings.jobs import resend_red_warnings
from server.warnings.rules import route_new_warning
from server.warnings.schema import WARNINGS
from server.warnings.tables import GradedWarning

WARNINGS_SPEC = CollectionSpec(
    schema=WARNINGS,
    table=GradedWarning,
    can_read=can_read_warning,
    check_write=check_warning_write,
    scope=warning_scope,
    reactions=(route_new_warning,),
    jobs=(Job("red_warnings", resend_red_warnings),),
    # a warning's level (at creation), its closing and each acknowledgement are facts
    fact_fields=("level", "status", "acknowledged_by"),
)
