"""Psychological counselling: psychologists' slots, sessions and bookings, reminders."""
