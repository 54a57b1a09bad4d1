"""Dispatch orders (吹哨报到): the community orders a department to act, with deadlines; the
department checks in and resolves; overdue orders are chased and escalated."""
