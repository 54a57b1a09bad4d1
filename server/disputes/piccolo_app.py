"""Piccolo app of the disputes domain: migrations for columns added after the `records` app
created the table (docs/architecture.md "Migrations")."""

import os

from piccolo.conf.apps import AppConfig

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="disputes",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    # the table class stays listed by the `records` app, which created it
    table_classes=[],
    migration_dependencies=["server.records.piccolo_app", "server.replication.piccolo_app"],
    commands=[],
)
