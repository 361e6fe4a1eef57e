"""A one-line status on a terminal while a long build runs: which stage, and since when.

Short builds stay silent (the line appears only for stages that start after `delay` seconds),
and so does a build whose output is not a terminal (a log, CI) or that was asked to be quiet:
there the one-line summary at the end says everything. The line is written by the build itself
as each stage begins; `close` wipes it before the summary.
"""

from __future__ import annotations

import time
from typing import TextIO

CLEAR_LINE = "\r\033[K"


class Progress:
    def __init__(self, stream: TextIO, delay: float = 2.0) -> None:
        self.stream = stream
        self.delay = delay
        self.started = time.perf_counter()
        self.shown = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def begin(self, stage: str) -> None:
        elapsed = time.perf_counter() - self.started
        if elapsed >= self.delay:
            self.stream.write(f"{CLEAR_LINE}Building… {stage} (at {elapsed:.1f} s)")
            self.stream.flush()
            self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write(CLEAR_LINE)
            self.stream.flush()
