"""A one-line status on a terminal while a long build runs: which stage, and for how long.

Short builds stay silent (the status appears only after `delay` seconds), and so does a build
whose output is not a terminal (a log, CI) or that was asked to be quiet: there the one-line
summary at the end says everything.
"""

from __future__ import annotations

import threading
import time
from typing import TextIO

CLEAR_LINE = "\r\033[K"


class Progress:
    """Shows the running stage on one rewritten line; `close` wipes it before the summary."""

    def __init__(self, stream: TextIO, delay: float = 2.0, interval: float = 0.25) -> None:
        self.stream = stream
        self.delay = delay
        self.interval = interval
        self.stage = "starting"
        self.started = time.perf_counter()
        self.shown = False
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sitegen-progress", daemon=True)

    def __enter__(self) -> Progress:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def begin(self, stage: str) -> None:
        with self._lock:
            self.stage = stage

    def _run(self) -> None:
        if self._done.wait(self.delay):
            return
        while True:
            self._draw()
            if self._done.wait(self.interval):
                return

    def _draw(self) -> None:
        with self._lock:
            elapsed = time.perf_counter() - self.started
            self.stream.write(f"{CLEAR_LINE}Building… {self.stage} ({elapsed:.1f} s)")
            self.stream.flush()
            self.shown = True

    def close(self) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()
        if self.shown:
            self.stream.write(CLEAR_LINE)
            self.stream.flush()
