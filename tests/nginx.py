"""The compose proxy (server/deploy/nginx.conf) run on loopback, for tests and benchmarks.

The configuration is the deployed file's own text with the few lines that only make sense in
Docker swapped for loopback ones (the upstream, the listen address, no Docker DNS) and the
process's files (pid, logs, temporary bodies) put in a private directory.  Each swap must match
the file exactly once, so a change to the file that a swap no longer fits fails loudly instead
of silently running a different proxy.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.process_group import stop_group

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "server" / "deploy" / "nginx.conf"
#: the nginx binary: $DOORSTEP_NGINX, else the one on PATH, else Debian's
NGINX = os.environ.get("DOORSTEP_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
BOUND = re.compile(r"limit_conn doorstep_in_flight (\d+);")


def deployed_bound() -> int:
    """Requests in flight to the app servers that the deployed file allows."""
    found = BOUND.findall(CONF.read_text())
    assert len(found) == 1, f"{CONF}: expected one `limit_conn doorstep_in_flight N;`"
    return int(found[0])


def local_config(
    upstreams: list[str], listen: str, workdir: Path, *, in_flight: int | None = None
) -> str:
    """nginx.conf for a proxy on `listen` in front of `upstreams` (host:port, as compose's
    replicas), files in workdir; `in_flight` replaces the deployed bound (bench/overload.py
    tries several)."""
    text = CONF.read_text()

    def swap(old: str, new: str) -> None:
        nonlocal text
        count = text.count(old)
        assert count == 1, f"{CONF}: expected {old!r} once, found it {count} times"
        text = text.replace(old, new)

    logs = workdir / "logs"
    temp = workdir / "temp"
    swap("  resolver 127.0.0.11 valid=10s;\n", "")  # Docker's DNS: not here
    swap("server server:8000;", " ".join(f"server {upstream};" for upstream in upstreams))
    swap("listen 8080;", f"listen {listen};")
    swap(
        "http {\n",
        "\n".join(
            [
                f"pid {workdir / 'nginx.pid'};",
                f"error_log {logs / 'error.log'} warn;",
                "http {",
                f"  access_log {logs / 'access.log'};",
                *(
                    f"  {kind}_temp_path {temp / kind};"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
                ),
                "",
            ]
        ),
    )
    if in_flight is not None:
        bound = deployed_bound()
        swap(
            f"limit_conn doorstep_in_flight {bound};", f"limit_conn doorstep_in_flight {in_flight};"
        )
    return text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Nginx:
    """nginx in the foreground of its own process group, on a free loopback port."""

    def __init__(self, upstream_ports: list[int], *, in_flight: int | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._dir = tempfile.TemporaryDirectory(prefix="doorstep-nginx-")
        self.workdir = Path(self._dir.name)
        # nginx's workers run as an unprivileged user when it is started as root: they must be
        # able to reach their temporary directories (nginx creates and owns those itself)
        self.workdir.chmod(0o755)
        (self.workdir / "logs").mkdir()
        (self.workdir / "temp").mkdir()
        self.conf = self.workdir / "nginx.conf"
        self.conf.write_text(
            local_config(
                [f"127.0.0.1:{port}" for port in upstream_ports],
                f"127.0.0.1:{self.port}",
                self.workdir,
                in_flight=in_flight,
            )
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10) -> None:
        args = [NGINX, "-p", str(self.workdir), "-c", str(self.conf), "-g", "daemon off;"]
        check = subprocess.run([*args[:-2], "-t"], capture_output=True, text=True)
        if check.returncode:
            raise RuntimeError(f"nginx -t failed:\n{check.stderr}")
        log = (self.workdir / "logs" / "stderr.log").open("ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=log, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.proc.returncode}: {self.tail()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            time.sleep(0.05)
        raise RuntimeError(f"nginx did not listen within {timeout} s: {self.tail()}")

    def tail(self) -> str:
        logs = self.workdir / "logs"
        return "\n".join(p.read_text(errors="replace")[-2000:] for p in sorted(logs.glob("*.log")))

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc)
            self.proc = None
        self._dir.cleanup()


@contextlib.contextmanager
def running(upstream_ports: list[int], *, in_flight: int | None = None) -> Iterator[Nginx]:
    proxy = Nginx(upstream_ports, in_flight=in_flight)
    try:
        proxy.start()
        yield proxy
    finally:
        proxy.stop()
