"""Piccolo app of the incentive fund."""

import os

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="incentives",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=table_finder(["server.incentives.tables"], exclude_imported=True),
    migration_dependencies=["server.volunteers.piccolo_app"],
    commands=[],
)
