"""Piccolo app `records`: the historical home of the synced collections' tables.

Its migration history created the tables that now live in the domain packages; listing them
here keeps Piccolo's view of this app (and `piccolo migrations check`) exactly as before.  A new
column of a domain's table gets a migration in that domain's own Piccolo app
(docs/architecture.md, "How to add a collection").
"""

import os

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="records",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=table_finder(
        modules=[
            "server.disputes.tables",
            "server.consultations.tables",
            "server.psych.tables",
            "server.dispatch.tables",
            "server.warnings.tables",
            "server.inbox.tables",
            "server.conflicts.tables",
            "server.records.tables",
        ],
        exclude_imported=True,
    ),
    migration_dependencies=[],
    commands=[],
)
