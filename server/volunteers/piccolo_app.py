"""Piccolo app of the volunteers domain."""

import os

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="volunteers",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=table_finder(["server.volunteers.tables"], exclude_imported=True),
    migration_dependencies=["server.records.piccolo_app"],
    commands=[],
)
