"""Piccolo app of the command view: no tables of its own, only the indexes its figures read
the domains' tables by (docs/command.md, docs/performance.md)."""

import os

from piccolo.conf.apps import AppConfig

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="command",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[],
    migration_dependencies=[
        "server.records.piccolo_app",
        "server.replication.piccolo_app",
        "server.dispatch.piccolo_app",
        "server.disputes.piccolo_app",
    ],
    commands=[],
)
