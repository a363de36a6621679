"""Debian's nginx for the tests, running deploy/nginx.conf itself in front of local replicas (#22).

`render(conf, replicas, listen, prefix)` is deploy/nginx.conf with its compose addresses (`studio-a:7860`,
...) swapped for local ones, `listen 80;` for a loopback port, and this run's temporary paths added at the
top of its `http` block (nginx, run as the current user, cannot write Debian's /var/lib/nginx); nothing
else changes, so the tests run the file compose ships. `running_nginx(replicas)` starts it in the
foreground with `-g 'daemon off; pid ...; error_log ...;'` on a free port and stops it at the end.
`make nginx` installs Debian's nginx when it is missing; tests skip only when it is absent and `make test`
did not ask for it (SEEDANCE_TEST_NGINX=required).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from ports import free_port

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "deploy" / "nginx.conf"
NGINX = os.environ.get("SEEDANCE_TEST_NGINX_BIN") or "/usr/sbin/nginx"
REQUIRED_ENV = "SEEDANCE_TEST_NGINX"  # "required" (make test): fail instead of skipping without nginx
INSTALL_HINT = "make nginx  (or: sudo apt-get install -y nginx)"
REPLICA_PORT = 7860  # the port the compose services listen on, as deploy/nginx.conf names them
LISTEN = "listen 80;"
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
START_TIMEOUT_SECONDS = 20


def require_nginx() -> str:
    """The nginx binary; skip (or fail under `make test`) with the install command when it is missing."""
    if os.access(NGINX, os.X_OK):
        return NGINX
    message = f"Debian's nginx is not installed at {NGINX}; run: {INSTALL_HINT}"
    if os.environ.get(REQUIRED_ENV) == "required":
        pytest.fail(message)
    pytest.skip(message)


def render(conf: str, replicas: dict[str, str], listen: str, prefix: Path) -> str:
    """deploy/nginx.conf for this machine: each `<name>:7860` of `replicas` -> its `host:port`, the
    listening port -> `listen`, temporary paths under `prefix`. ValueError if the file lacks one of them."""
    for name, address in replicas.items():
        upstream = f"{name}:{REPLICA_PORT}"
        if upstream not in conf:
            raise ValueError(f"deploy/nginx.conf names no {upstream}")
        conf = conf.replace(upstream, address)
    if conf.count(LISTEN) != 1 or conf.count("http {") != 1:
        raise ValueError(f"deploy/nginx.conf must have one `http {{` block and one `{LISTEN}`")
    temp = "".join(f"    {kind}_temp_path {prefix / kind};\n" for kind in TEMP_PATHS)
    return conf.replace(LISTEN, f"listen {listen};").replace("http {\n", "http {\n" + temp)


def _globals(prefix: Path) -> str:
    return f"pid {prefix / 'nginx.pid'}; error_log {prefix / 'error.log'} warn;"


def check_config(conf_path: Path, prefix: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` of a rendered file (its output names the problem when there is one)."""
    return subprocess.run([require_nginx(), "-t", "-p", str(prefix), "-c", str(conf_path), "-g",
                           _globals(prefix)], capture_output=True, text=True, timeout=30, check=False)


@dataclass
class NginxServer:
    url: str
    process: subprocess.Popen[bytes]
    prefix: Path

    def log(self) -> str:
        """What nginx wrote: its error log, then its access log (stdout)."""
        parts = [self.prefix / "error.log", self.prefix / "access.log"]
        return "\n".join(p.read_text(errors="replace") for p in parts if p.exists())


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def running_nginx(replicas: dict[str, str]) -> Iterator[NginxServer]:
    """deploy/nginx.conf in the foreground on a free loopback port, in front of `replicas` (compose
    service name -> host:port)."""
    binary = require_nginx()
    prefix = Path(tempfile.mkdtemp(prefix="seedance-nginx-"))
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(render(CONF.read_text(), replicas, f"127.0.0.1:{port}", prefix))
    checked = check_config(conf, prefix)
    assert checked.returncode == 0, checked.stderr
    with (prefix / "access.log").open("wb") as out:
        process = subprocess.Popen([binary, "-p", str(prefix), "-c", str(conf), "-g",
                                    f"daemon off; {_globals(prefix)}"], stdout=out, stderr=subprocess.STDOUT)
    server = NginxServer(f"http://127.0.0.1:{port}", process, prefix)
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not _accepts(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"nginx did not start:\n{server.log()[-3000:]}")
            time.sleep(0.05)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(prefix, ignore_errors=True)
