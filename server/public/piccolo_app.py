"""Piccolo app of the residents' door (server/public/)."""

import os

from piccolo.conf.apps import AppConfig

from server.public.tables import (
    DutyRequest,
    DutyShift,
    PublicAppeal,
    PublicAppealEvent,
    PublicThrottle,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="public",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[PublicAppeal, PublicAppealEvent, PublicThrottle, DutyShift, DutyRequest],
    migration_dependencies=["server.records.piccolo_app"],
    commands=[],
)
