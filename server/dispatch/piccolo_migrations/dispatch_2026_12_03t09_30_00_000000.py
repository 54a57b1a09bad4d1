"""Check-in evidence on dispatch orders: `arrival_received_at`, `arrival_distance_m` (server
fields) and `checkin_status` (ok / pending_verification / verified).  Existing orders keep
NULL: their check-ins predate the evidence."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Timestamptz, Varchar

ID = "2026-12-03T09:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "dispatch orders: check-in evidence"

COLUMNS = (
    ("arrival_received_at", Timestamptz, {"default": None, "null": True}),
    ("arrival_distance_m", Integer, {"default": None, "null": True}),
    ("checkin_status", Varchar, {"length": 32, "default": None, "null": True}),
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="dispatch", description=DESCRIPTION)
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="DispatchOrder",
            tablename="dispatch_orders",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
        )
    return manager
