"""Make the repository root and this folder importable, and keep hypothesis runs short.

Hypothesis runs derandomized by default: the examples of a test are the same on every run, so a
failure on one machine fails on every machine.  DOORSTEP_HYPOTHESIS_PROFILE=sync-random explores
fresh examples; on a failure Hypothesis prints the seed, and `--hypothesis-seed=N` replays it.
(The profile comes from the environment because this conftest loads after pytest's options.)
"""

from __future__ import annotations

import os
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
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("sync-long", parent=settings.get_profile("sync"), max_examples=1000)
settings.register_profile("sync-random", parent=settings.get_profile("sync"), derandomize=False)
settings.load_profile(os.environ.get("DOORSTEP_HYPOTHESIS_PROFILE", "sync"))
