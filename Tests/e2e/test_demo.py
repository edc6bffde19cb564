"""`sluice demo` without a terminal: stats lines, and a clean stop on SIGTERM or SIGINT."""
import signal
import subprocess
import time

import pytest

from conftest import free_port, sluice_binary


@pytest.mark.parametrize("signo", [signal.SIGTERM, signal.SIGINT])
def test_headless_demo_prints_stats_and_stops_on_a_signal(workdir, signo):
    demo = subprocess.Popen([sluice_binary(), "demo", "--traffic", "20", "--port", str(free_port())],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        deadline = time.time() + 30
        while time.time() < deadline and not any("intercom:" in line for line in lines):
            lines.append(demo.stdout.readline())
        assert any("intercom:" in line for line in lines), "".join(lines)
        demo.send_signal(signo)
        assert demo.wait(timeout=20) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
