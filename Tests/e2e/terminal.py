"""A pseudo-terminal harness: runs a program on a pty of a given size, feeds its output to a
pyte screen, sends keys, resizes, and reports whether the terminal's modes were restored."""
import fcntl
import os
import signal
import struct
import subprocess
import termios
import threading
import time

import pyte


class Terminal:
    def __init__(self, args, cols=120, rows=40, env=None):
        self.cols, self.rows = cols, rows
        self.master, self.slave = os.openpty()
        self._set_size(cols, rows)
        self.modes_before = termios.tcgetattr(self.slave)
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.lock = threading.Lock()
        self.raw = bytearray()
        self.bytes_read = 0
        self.started = time.monotonic()
        full_env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8")
        full_env.update(env or {})

        def child_setup():
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.process = subprocess.Popen(args, stdin=self.slave, stdout=self.slave, stderr=subprocess.PIPE,
                                        env=full_env, preexec_fn=child_setup, close_fds=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _set_size(self, cols, rows):
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def _read(self):
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.raw += data
                self.bytes_read += len(data)
                self.stream.feed(data)

    def text(self):
        with self.lock:
            return "\n".join(self.screen.display)

    def line(self, index):
        with self.lock:
            return self.screen.display[index]

    def wait_for(self, needle, seconds=15):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if needle in self.text():
                return time.monotonic() - self.started
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"{needle!r} did not appear within {seconds}s; the screen shows:\n{self.text()}\n"
                             f"stderr: {self.stderr_text()}")

    def stderr_text(self):
        if self.process.poll() is None:
            return "(still running)"
        return self.process.stderr.read().decode(errors="replace")

    def keys(self, text, pause=0.05):
        os.write(self.master, text.encode() if isinstance(text, str) else text)
        time.sleep(pause)

    def resize(self, cols, rows):
        with self.lock:
            self.screen.resize(rows, cols)
        self._set_size(cols, rows)
        self.cols, self.rows = cols, rows

    def wait_exit(self, seconds=10):
        return self.process.wait(timeout=seconds)

    def modes_restored(self):
        """Whether the tty's modes (echo, canonical input, …) are what they were before."""
        return termios.tcgetattr(self.slave)[:4] == self.modes_before[:4]

    def close(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


ESC = "\x1b"
ENTER = "\r"
CTRL_U = "\x15"
