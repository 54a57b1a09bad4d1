"""The `disputes` and `visits` collections as the server runs them."""

from __future__ import annotations

from server.disputes.access import (
    admit_visit,
    can_read_dispute,
    can_read_visit,
    check_dispute_write,
    check_visit_write,
    community_feed_scope,
    derive_visit,
    dispute_scope,
    visit_mutation_refs,
    visit_record_refs,
    visit_scope,
)
from server.disputes.admission import admit_dispute, dispute_mutation_refs
from server.disputes.milestones import refresh_after_flush
from server.disputes.minimise import REDUCED_DISPUTE_FIELDS, dispute_on_device
from server.disputes.rules import warn_on_risk
from server.disputes.schema import DISPUTES, VISITS
from server.disputes.tables import Dispute, Visit
from server.permissions import online_only_for_supervisors
from server.public.reactions import PUBLIC_DISPUTE_REACTIONS
from server.replication.facts import after_facts
from server.specs import CollectionSpec
from server.warnings.rules import close_warnings_of_deleted

DISPUTES_SPEC = CollectionSpec(
    schema=DISPUTES,
    table=Dispute,
    can_read=can_read_dispute,
    check_write=check_dispute_write,
    admit=admit_dispute,
    scope=dispute_scope,
    feed_scope=community_feed_scope,
    device_copy=dispute_on_device,
    reduced_fields=REDUCED_DISPUTE_FIELDS,
    rules_version=2,
    mutation_refs=dispute_mutation_refs,
    reactions=(warn_on_risk, close_warnings_of_deleted, *PUBLIC_DISPUTE_REACTIONS),
    fact_fields=("risk_level", "satisfaction"),
)

VISITS_SPEC = CollectionSpec(
    schema=VISITS,
    table=Visit,
    can_read=can_read_visit,
    check_write=check_visit_write,
    admit=admit_visit,
    scope=visit_scope,
    feed_scope=community_feed_scope,
    device_copy=online_only_for_supervisors,
    rules_version=2,
    derived_columns=("community_id",),
    derive=derive_visit,
    mutation_refs=visit_mutation_refs,
    record_refs=visit_record_refs,
)

# a dispute's milestones (server-only columns the command figures read) follow its facts,
# visits and orders in the flush that writes them
after_facts("disputes.milestones", refresh_after_flush)
