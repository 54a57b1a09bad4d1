"""Domain events: warnings, notices and the scheduled jobs (deadlines, reminders)."""
