"""Make the repository root and this folder importable, and keep hypothesis runs short."""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

HERE = Path(__file__).resolve().parent
for path in (str(HERE.parents[1]), str(HERE)):
    if path not in sys.path:
        sys.path.insert(0, path)

# The engine merges against the collections the server's domains declare; register them (the
# one registration the server makes, server/domains.py) before any test runs the engine.
import server.domains  # noqa: E402,F401

settings.register_profile(
    "sync",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("sync-long", parent=settings.get_profile("sync"), max_examples=1000)
settings.load_profile("sync")
