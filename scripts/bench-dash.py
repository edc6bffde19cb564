#!/usr/bin/env python3
"""Benchmark of `sluice dash` watching demo traffic, as an operator over SSH would.

A headless `sluice demo --no-dash` delivers --traffic events/s on a kept database; `sluice dash`
watches that database on a pseudo-terminal of 120×40. Measured on the dashboard's process:
CPU (% of one core, from /proc), bytes written to the terminal per second (read off the pty)
and the time to the first frame. The baseline, in the same run, is the same dashboard told to
repaint every cell of every frame (SLUICE_DASH_FULL_REPAINT=1), as a naive console would.

    swift build -c release --scratch-path .build-release
    python3 scripts/bench-dash.py --bin .build-release/release/sluice
"""
import argparse
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "e2e"))
from terminal import Terminal  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def event_count(db):
    with sqlite3.connect(db, timeout=5) as connection:
        return connection.execute("SELECT COUNT(*) FROM events").fetchone()[0]


def watch(binary, db, seconds, warmup, env):
    terminal = Terminal([binary, "dash", "--db", str(db)], cols=120, rows=40, env=env)
    try:
        first_frame = terminal.wait_for("Destinations", seconds=10)
        time.sleep(warmup)
        cpu0, bytes0, events0, t0 = cpu_seconds(terminal.process.pid), terminal.bytes_read, event_count(db), time.monotonic()
        time.sleep(seconds)
        cpu1, bytes1, events1, t1 = cpu_seconds(terminal.process.pid), terminal.bytes_read, event_count(db), time.monotonic()
        terminal.keys("q")
        terminal.wait_exit(10)
        elapsed = t1 - t0
        return {
            "first_frame_ms": first_frame * 1000,
            "cpu_percent": 100 * (cpu1 - cpu0) / elapsed,
            "bytes_per_second": (bytes1 - bytes0) / elapsed,
            "events_per_second": (events1 - events0) / elapsed,
        }
    finally:
        terminal.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=str(ROOT / ".build-release" / "release" / "sluice"))
    parser.add_argument("--traffic", type=float, default=1000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="sluice-bench-dash-"))
    db = workdir / "demo.sqlite"
    env = {"XDG_CONFIG_HOME": str(workdir / "config")}
    demo = subprocess.Popen([args.bin, "demo", "--no-dash", "--db", str(db), "--traffic", str(args.traffic),
                             "--port", str(free_port())], stdout=subprocess.DEVNULL, stderr=open(workdir / "demo.log", "wb"))
    try:
        deadline = time.time() + 30
        while time.time() < deadline and (not db.exists() or event_count(db) < 100):
            time.sleep(0.2)
        time.sleep(3)
        ours = watch(args.bin, db, args.seconds, args.warmup, env)
        naive = watch(args.bin, db, args.seconds, args.warmup, dict(env, SLUICE_DASH_FULL_REPAINT="1"))
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(timeout=20)
        except subprocess.TimeoutExpired:
            demo.kill()

    print(f"sluice dash at 120x40, refresh 1 s, watching demo traffic ({ours['events_per_second']:.0f} events/s stored during the run)")
    print(f"{'':24}{'dash':>12}{'full repaint':>16}{'ratio':>9}{'target':>12}")
    rows = [
        ("CPU, % of one core", "cpu_percent", "{:.2f}", 3.0),
        ("terminal bytes/s", "bytes_per_second", "{:.0f}", 4096),
        ("first frame, ms", "first_frame_ms", "{:.0f}", 300),
    ]
    ok = True
    for label, key, form, target in rows:
        ratio = ours[key] / naive[key] if naive[key] else float("nan")
        met = ours[key] <= target
        ok = ok and met
        print(f"{label:24}{form.format(ours[key]):>12}{form.format(naive[key]):>16}{ratio:>9.2f}{'≤ ' + str(target):>10} {'ok' if met else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
