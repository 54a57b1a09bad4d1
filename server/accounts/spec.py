"""The `users` collection as the server runs it: read-only on devices, readable by all staff (a volunteer reads only themselves); admins
change it through the accounts endpoints.  A user's feed entry is scoped to their org unit."""

from __future__ import annotations

from server.accounts.principal import Principal
from server.accounts.schema import USERS
from server.accounts.tables import User
from server.org.tree import OrgTree
from server.permissions import id_of
from server.specs import CollectionSpec, PermissionRecord


def user_scope(record: PermissionRecord) -> tuple[str | None, str | None]:
    return id_of(record.get("org_unit_id")), None


def readable_by_all(p: Principal, tree: OrgTree, record: PermissionRecord) -> bool:
    """Staff read the whole directory; a volunteer reads only their own entry (never another
    volunteer's name, nor the staff list)."""
    if p.role == "volunteer":
        return id_of(record.get("id")) == str(p.user_id)
    return True


USERS_SPEC = CollectionSpec(schema=USERS, table=User, can_read=readable_by_all, scope=user_scope)
