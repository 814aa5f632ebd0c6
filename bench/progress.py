"""Progress while the benchmarks run: which step, how many are left, how long it has taken.

On a terminal a bar at the bottom line is redrawn twice a second; anywhere else (a log, CI) each
step prints one plain line when it starts. Either way a step's results are printed after its line,
never before, and a finished step's line stays in the scrollback above its results.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from typing import TextIO


def clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


class Progress:
    """`start` a step, optionally `detail` what it is doing, then `finish` it with its results."""

    def __init__(self, total: int, out: TextIO | None = None, tty: bool | None = None) -> None:
        self.out = out or sys.stdout
        self.tty = self.out.isatty() if tty is None else tty
        self.total = total
        self.done = 0
        self.started = time.monotonic()
        self.title = ""
        self.info = ""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def start(self, title: str) -> None:
        with self._lock:
            self.title, self.info = title, ""
            if not self.tty:
                left = self.total - self.done
                self.out.write(f"[{self.done + 1}/{self.total}] {title} ({left - 1} steps left after "
                               f"this; {clock(self.elapsed)} elapsed)\n")
                self.out.flush()
                return
            self._draw()
        if self.tty and self._thread is None:
            self._thread = threading.Thread(target=self._tick, daemon=True)
            self._thread.start()

    def detail(self, info: str) -> None:
        """What the current step is doing now (shown on the bar; not printed otherwise)."""
        with self._lock:
            self.info = info
            if self.tty:
                self._draw()

    def finish(self, lines: list[str]) -> None:
        """Ends the current step; its results go below its line."""
        with self._lock:
            self.done += 1
            if self.tty:
                self._clear()
                self.out.write(f"[{self.done}/{self.total}] {self.title} "
                               f"(done at {clock(self.elapsed)})\n")
            for line in lines:
                self.out.write(line + "\n")
            self.title = ""  # no bar until the next step starts
            self.out.flush()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        with self._lock:
            if self.tty:
                self._clear()
                self.out.flush()

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            with self._lock:
                if self.title and self.done < self.total:
                    self._draw()

    def _clear(self) -> None:
        self.out.write("\r\x1b[2K")

    def _draw(self) -> None:
        width = shutil.get_terminal_size((100, 20)).columns
        bar_width = 20
        filled = int(bar_width * self.done / max(self.total, 1))
        bar = "█" * filled + "░" * (bar_width - filled)
        text = (f"{bar} {self.done}/{self.total} · {clock(self.elapsed)} · "
                f"step {self.done + 1}: {self.title}")
        if self.info:
            text += f" — {self.info}"
        self._clear()
        self.out.write(text[: width - 1])
        self.out.flush()
