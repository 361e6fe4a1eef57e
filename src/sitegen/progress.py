"""A one-line status on a terminal while a long build runs: which stage, and for how long.

Short builds stay silent (the status appears only after `delay` seconds), and so does a build
whose output is not a terminal (a log, CI) or that was asked to be quiet: there the one-line
summary at the end says everything.

The line is redrawn by a thread, which the build's forking allows beside it (`fork_safe`): it
touches nothing a forked child uses, and a fork waits until it is not drawing, so no child starts
with the terminal's lock held. (Without that, any thread stops the build from forking: a build
run on a terminal used one core: a 10,000-paper rebuild took 10.0 s there, 6.3 s with --quiet.)
"""

from __future__ import annotations

import os
import threading
import time
from typing import TextIO

from .background import fork_safe

CLEAR_LINE = "\r\033[K"
_DRAWING = threading.Lock()  # held while the line is drawn or the stage changes, and across forks
if hasattr(os, "register_at_fork"):  # (not on Windows, which has no fork)
    os.register_at_fork(
        before=_DRAWING.acquire, after_in_parent=_DRAWING.release, after_in_child=_DRAWING.release
    )


class Progress:
    """Shows the running stage on one rewritten line; `close` wipes it before the summary."""

    def __init__(self, stream: TextIO, delay: float = 2.0, interval: float = 0.25) -> None:
        self.stream = stream
        self.delay = delay
        self.interval = interval
        self.stage = "starting"
        self.started = time.perf_counter()
        self.shown = False
        self._done = threading.Event()
        self._thread = fork_safe(threading.Thread(target=self._run, name="sitegen-progress", daemon=True))

    def __enter__(self) -> Progress:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def begin(self, stage: str) -> None:
        with _DRAWING:
            self.stage = stage

    def _run(self) -> None:
        if self._done.wait(self.delay):
            return
        while True:
            self._draw()
            if self._done.wait(self.interval):
                return

    def _draw(self) -> None:
        with _DRAWING:
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
