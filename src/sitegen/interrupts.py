"""Ctrl-C and `kill`: a build stops cleanly wherever they land.

Python raises KeyboardInterrupt (and, through the handler `sitegen build` installs, a `kill`'s
SIGTERM) between any two steps. A folder made beside the output, or a child forked, leaks if that
falls after it exists but before it is known to the cleanup that removes it; `held` closes that
gap by holding the signals back for the few steps that make and register it.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

STOPPING = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Ctrl-C and `kill` wait until the block ends, then arrive (raised as it is left). Nested
    blocks keep them held until the outermost ends; a process forked inside starts with them held.
    Where signals cannot be held (Windows), the block runs as it is."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)  # runs a waiting signal's handler here
