"""The command view (COMMAND_API.md "Command view"): figures computed in SQL from the
lifecycle facts and the records, drill-down lists, supervision of overdue orders, the monthly
report and CSV exports (docs/command.md)."""
