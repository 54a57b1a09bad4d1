"""The one place that imports every domain and registers its collections.

Order matters only for `GET /api/sync/schema`, which lists collections in registration order.
Adding a collection: declare its spec in its domain package and add it here
(docs/architecture.md, "How to add a collection").
"""

from __future__ import annotations

import server.notify.stats  # noqa: F401  (registers the `sms` stats section: no collection of its own)
from server import specs
from server.accounts.spec import USERS_SPEC
from server.agreements.spec import AGREEMENTS_SPEC
from server.conflicts.spec import CONFLICTS_SPEC
from server.consultations.spec import CONSULTATIONS_SPEC
from server.dispatch.spec import DISPATCH_ORDERS_SPEC
from server.disputes.spec import DISPUTES_SPEC, VISITS_SPEC
from server.inbox.spec import NOTIFICATIONS_SPEC
from server.org.spec import ORG_UNITS_SPEC
from server.psych.spec import PSYCH_SESSIONS_SPEC, PSYCH_SLOTS_SPEC
from server.public.duty import DUTY_JOBS
from server.volunteers.spec import REPORTS_SPEC
from server.warnings.spec import WARNINGS_SPEC

SPECS = (
    ORG_UNITS_SPEC,
    USERS_SPEC,
    DISPUTES_SPEC,
    VISITS_SPEC,
    CONSULTATIONS_SPEC,
    PSYCH_SLOTS_SPEC,
    PSYCH_SESSIONS_SPEC,
    DISPATCH_ORDERS_SPEC,
    WARNINGS_SPEC,
    NOTIFICATIONS_SPEC,
    CONFLICTS_SPEC,
    AGREEMENTS_SPEC,
    REPORTS_SPEC,
)

specs.register(*SPECS)
specs.register_jobs(*DUTY_JOBS)
