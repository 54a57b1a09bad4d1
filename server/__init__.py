"""Doorstep server: the Litestar application, its domains and the `doorstep` command."""

import os

# Piccolo finds its engine through this module; set before any table is used.
os.environ.setdefault("PICCOLO_CONF", "server.piccolo_conf")
