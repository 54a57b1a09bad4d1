"""Piccolo app of the access log (its own app, so its migration orders with no other domain's)."""

import os

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="access",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=table_finder(modules=["server.access.tables"], exclude_imported=True),
    migration_dependencies=[],
    commands=[],
)
