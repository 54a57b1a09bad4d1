"""The `agreements` collection as the server runs it."""

from __future__ import annotations

from server.agreements.access import (
    agreement_mutation_refs,
    agreement_record_refs,
    agreement_scope,
    can_read_agreement,
    check_agreement_write,
    derive_agreement,
)
from server.agreements.admission import admit_agreement
from server.agreements.jobs import remind_submission
from server.agreements.rules import clear_stale_signatures, follow_the_court, stamp_steps
from server.agreements.schema import AGREEMENTS
from server.agreements.stats import agreement_figures  # registers the stats section
from server.agreements.tables import Agreement
from server.specs import CollectionSpec, Job

AGREEMENTS_SPEC = CollectionSpec(
    schema=AGREEMENTS,
    table=Agreement,
    can_read=can_read_agreement,
    check_write=check_agreement_write,
    admit=admit_agreement,
    scope=agreement_scope,
    derived_columns=("community_id",),
    derive=derive_agreement,
    mutation_refs=agreement_mutation_refs,
    record_refs=agreement_record_refs,
    reactions=(clear_stale_signatures, stamp_steps, follow_the_court),
    jobs=(Job("agreement_deadlines", remind_submission),),
)

__all__ = ["AGREEMENTS_SPEC", "agreement_figures"]
