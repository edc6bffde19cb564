"""The console end to end: the real binary under a pseudo-terminal, driven by keystrokes."""
import json
import os
import signal
import sqlite3
import subprocess
import time
import urllib.request

import pytest

from conftest import free_port, sluice_binary
from terminal import CTRL_U, ENTER, ESC, Terminal


def intercom_settings(db):
    with sqlite3.connect(db) as connection:
        row = connection.execute("SELECT json FROM destination_settings WHERE destination = 'intercom'").fetchone()
    return json.loads(row[0])


def intercom_bodies_for(db, user):
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT request_body FROM attempts WHERE destination = 'intercom' AND user = ? ORDER BY id", (user,)).fetchall()
    return [row[0] for row in rows]


def identify(port, user, traits):
    body = json.dumps({"userId": user, "traits": traits}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/identify", data=body,
                                     headers={"Content-Type": "application/json",
                                              "Authorization": "Basic ZGVtby13cml0ZS1rZXk6"})  # demo-write-key:
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert reply.status == 200


def test_operator_changes_intercom_nesting_and_the_running_engine_applies_it(workdir):
    db = workdir / "demo.sqlite"
    port = free_port()
    terminal = Terminal([sluice_binary(), "demo", "--db", str(db), "--traffic", "0", "--port", str(port)],
                        cols=120, rows=40, env={"XDG_CONFIG_HOME": str(workdir / "config")})
    try:
        # 1. The console opens (sluice demo opens it when it runs in a terminal).
        first_frame = terminal.wait_for("Destinations", seconds=30)
        print(f"first frame after {first_frame:.2f}s")
        assert "1 Live" in terminal.text()

        # 2. To Intercom's settings: by the command line, then the Settings pane.
        terminal.keys(":dest intercom" + ENTER)
        terminal.keys("2")
        terminal.wait_for("Intercom · Settings")
        terminal.wait_for("Default Nested Trait")
        before = intercom_settings(db)
        assert before.get("defaultNestedHandling", "flatten") == "flatten"

        # 3. Move to the default nested handling, type stringify, save.
        for _ in range(20):
            terminal.keys("k", pause=0.01)  # to the top, wherever the form starts
        fields = ["inboxButtonSelector", "apiKey", "appId", "nestedHandling", "collectContext", "defaultNestedHandling"]
        for _ in range(fields.index("defaultNestedHandling")):
            terminal.keys("j")
        terminal.keys(ENTER + CTRL_U + "stringify" + ENTER)
        terminal.keys("s")
        terminal.wait_for("Saved Intercom settings")
        assert intercom_settings(db)["defaultNestedHandling"] == "stringify"
        assert "••••" in terminal.text(), "the API key is shown masked"
        assert "sandboxintercomaccesstoken" not in terminal.text()

        # 4. The running engine applied it: the next mapped request stringifies the nested trait.
        time.sleep(1.5)
        identify(port, "pty-user-1", {"email": "pty@example.com", "name": "Pty", "address": {"city": "Paris"}})
        deadline = time.time() + 30
        bodies = []
        while time.time() < deadline:
            bodies = [b for b in intercom_bodies_for(db, "pty-user-1") if "Paris" in b]
            if bodies:
                break
            time.sleep(0.2)
        assert bodies, "Intercom never received the identify"
        contact = json.loads(bodies[-1])
        assert json.loads(contact["custom_attributes"]["address"]) == {"city": "Paris"}, contact

        # 5. Resize to 80×24, then 200×60: the layout follows at once.
        terminal.resize(80, 24)
        deadline = time.time() + 5
        while time.time() < deadline and not terminal.line(2).rstrip().endswith("┐"):
            time.sleep(0.05)
        assert terminal.line(2).rstrip().endswith("┐") and len(terminal.line(2).rstrip()) == 80, terminal.text()
        terminal.resize(200, 60)
        deadline = time.time() + 5
        # A frame reaches the terminal in several reads: wait for its last line as well as its first.
        while time.time() < deadline and (len(terminal.line(2).rstrip()) != 200 or terminal.line(59).strip() == ""):
            time.sleep(0.05)
        assert len(terminal.line(2).rstrip()) == 200, terminal.text()
        assert terminal.line(59).strip() != "", "the footer is on the new last line"

        # 6. Quit; the terminal is restored.
        terminal.keys("q")
        assert terminal.wait_exit(20) == 0
        assert terminal.modes_restored()
        assert b"\x1b[?1049l" in terminal.raw, "left the alternate screen"
    finally:
        terminal.close()


@pytest.fixture
def settings_db(workdir):
    db = workdir / "sluice.sqlite"
    subprocess.run([sluice_binary(), "settings", "set", "intercom", "enabled", "false", "--db", str(db)], check=True,
                   capture_output=True)
    return db


@pytest.mark.parametrize("signo", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_signals_restore_the_terminal(settings_db, workdir, signo):
    terminal = Terminal([sluice_binary(), "dash", "--db", str(settings_db)], cols=100, rows=30,
                        env={"XDG_CONFIG_HOME": str(workdir / "config")})
    try:
        terminal.wait_for("Destinations")
        terminal.process.send_signal(signo)
        terminal.wait_exit(10)
        assert terminal.modes_restored()
        assert b"\x1b[?1049l" in terminal.raw
    finally:
        terminal.close()


def test_no_color_is_monochrome_and_small_terminals_are_told_the_size(settings_db, workdir):
    terminal = Terminal([sluice_binary(), "dash", "--db", str(settings_db)], cols=70, rows=20,
                        env={"XDG_CONFIG_HOME": str(workdir / "config"), "NO_COLOR": "1"})
    try:
        terminal.wait_for("needs a terminal of at least 80×24")
        terminal.resize(100, 30)
        terminal.wait_for("Destinations")
        with terminal.lock:
            colours = {(char.fg, char.bg) for row in terminal.screen.buffer.values() for char in row.values()}
        assert colours == {("default", "default")}, colours
        terminal.keys("q")
        assert terminal.wait_exit(10) == 0
    finally:
        terminal.close()


def test_dash_without_a_terminal_says_so(settings_db):
    result = subprocess.run([sluice_binary(), "dash", "--db", str(settings_db)], stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "needs a terminal" in result.stderr


def test_a_crash_inside_a_screen_still_restores_the_terminal(settings_db, workdir):
    terminal = Terminal([sluice_binary(), "dash", "--db", str(settings_db)], cols=100, rows=30,
                        env={"XDG_CONFIG_HOME": str(workdir / "config"), "SLUICE_DASH_TEST_CRASH": "1"})
    try:
        terminal.wait_for("Destinations")
        terminal.keys(":crash" + ENTER)
        status = terminal.wait_exit(30)
        assert status != 0
        assert terminal.modes_restored()
        assert terminal.raw.rfind(b"\x1b[?1049l") > terminal.raw.rfind(b"\x1b[?1049h")
    finally:
        terminal.close()


def test_line_drawing_falls_back_to_ascii_without_a_utf8_locale(settings_db, workdir):
    terminal = Terminal([sluice_binary(), "dash", "--db", str(settings_db)], cols=100, rows=30,
                        env={"XDG_CONFIG_HOME": str(workdir / "config"), "LANG": "C", "LC_ALL": "C"})
    try:
        terminal.wait_for("+- Destinations -")
        assert "─" not in terminal.text()
        terminal.keys("q")
        assert terminal.wait_exit(10) == 0
    finally:
        terminal.close()
