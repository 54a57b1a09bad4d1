"""The `notifications` collection as the server runs it: each notification belongs to its
recipient, who may only mark it read."""

from __future__ import annotations

from server.accounts.principal import Principal
from server.inbox.escalation import sms_on_silence
from server.inbox.schema import NOTIFICATIONS
from server.inbox.tables import Notification
from server.org.tree import OrgTree
from server.permissions import id_of
from server.specs import CollectionSpec, FeedScope, Job, PermissionRecord, Write


def notification_scope(record: PermissionRecord) -> tuple[str | None, str | None]:
    return None, id_of(record.get("user_id"))


def can_read_notification(p: Principal, tree: OrgTree, record: PermissionRecord) -> bool:
    return id_of(record.get("user_id")) == str(p.user_id)


def notification_feed_scope(p: Principal, tree: OrgTree) -> FeedScope:
    return FeedScope(user=p.user_id)


def check_notification_write(w: Write) -> str | None:
    if w.current is None or id_of(w.current.get("user_id")) != w.me:
        return "notifications belong to their recipient"
    if w.op == "delete" or set(w.proposed) != {"read"}:
        return "only the read flag of a notification can change"
    return None


NOTIFICATIONS_SPEC = CollectionSpec(
    schema=NOTIFICATIONS,
    table=Notification,
    can_read=can_read_notification,
    check_write=check_notification_write,
    scope=notification_scope,
    feed_scope=notification_feed_scope,
    jobs=(Job("sms_on_silence", sms_on_silence),),
)
