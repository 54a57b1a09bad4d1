"""Graded warnings: raising them, routing them by level, re-sending an unacknowledged red one."""
