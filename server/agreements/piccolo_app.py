"""Piccolo app of the agreements domain: its table and migrations."""

import os

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="agreements",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=table_finder(modules=["server.agreements.tables"], exclude_imported=True),
    migration_dependencies=["server.records.piccolo_app"],
    commands=[],
)
