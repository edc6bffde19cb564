"""Shared fixtures for the end-to-end tests: they drive the real `sluice` binary."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def sluice_binary() -> str:
    path = os.environ.get("SLUICE_BIN") or str(ROOT / ".build" / "debug" / "sluice")
    if not os.path.exists(path):
        pytest.fail(f"no sluice binary at {path}; run `swift build` first or set SLUICE_BIN")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `sluice serve` process on a free loopback port."""

    def __init__(self, workdir: Path, sources: dict[str, str], extra: list[str] | None = None):
        self.workdir = workdir
        self.db = workdir / "sluice.sqlite"
        self.sources = sources
        self.extra = extra or []
        self.port = free_port()
        self.process = None
        self.log = workdir / "serve.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        args = [sluice_binary(), "serve", "--port", str(self.port), "--db", str(self.db), *self.extra]
        for name, key in self.sources.items():
            args += ["--source", f"{name}={key}"]
        env = dict(os.environ, XDG_DATA_HOME=str(self.workdir / "xdg"))
        self.process = subprocess.Popen(args, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sluice serve exited early:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as reply:
                    if reply.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("sluice serve did not become healthy in 30 s")

    def kill9(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def workdir():
    path = Path(tempfile.mkdtemp(prefix="sluice-e2e-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def server_factory(workdir):
    servers = []

    def make(sources, extra=None):
        server = Server(workdir, sources, extra)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def sdk_python():
    """A throwaway virtualenv with the real Segment and RudderStack Python SDKs from PyPI."""
    path = Path(tempfile.mkdtemp(prefix="sluice-sdk-venv-"))
    venv.create(path, with_pip=True)
    python = path / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "segment-analytics-python==2.4.0", "rudder-sdk-python"],
        check=True,
    )
    yield str(python)
    shutil.rmtree(path, ignore_errors=True)
