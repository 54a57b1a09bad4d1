"""Legal consultations: a lawyer's log."""
