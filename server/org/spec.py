"""The `org_units` collection as the server runs it: read-only on devices, readable by all
(the tree is how every screen names places).  The server writes it (`doorstep import-org`)."""

from __future__ import annotations

from server.accounts.principal import Principal
from server.org.schema import ORG_UNITS
from server.org.tables import OrgUnit
from server.org.tree import OrgTree
from server.specs import CollectionSpec, PermissionRecord


def readable_by_all(p: Principal, tree: OrgTree, record: PermissionRecord) -> bool:
    return True


ORG_UNITS_SPEC = CollectionSpec(schema=ORG_UNITS, table=OrgUnit, can_read=readable_by_all)
