"""Work that runs on a second core while the build goes on.

The search index is the slowest single result of a cold build, it needs only the papers' text,
and the machines sitegen runs on have two cores or more: a forked process builds it while this
one assigns and renders; assignment and rendering are shared with a child the same way (`split_map`). Where
forking is unavailable (not Linux), unsafe (other threads are running, as under `sitegen serve`)
or pointless (one core), the work simply runs here when its result is asked for — the result is
the same either way.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pickle
import signal
import sys
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import BinaryIO, Generic, TypeVar

from . import interrupts

T = TypeVar("T")
A = TypeVar("A")
R = TypeVar("R")


class Pending(Generic[T]):
    """A value being made in a child process (or, failing that, made on demand here)."""

    def __init__(self, work: Callable[[], T], pid: int | None = None, fd: int | None = None) -> None:
        self.work = work
        self.pid = pid
        self.fd = fd

    def result(self) -> T:
        """Wait for the child's value. If the child failed, do the work here, so a real error is
        raised with its own traceback instead of a bare exit code."""
        if self.pid is None or self.fd is None:
            return self.work()
        fd, self.fd = self.fd, None  # closed below even if interrupted: `cancel` must not close it again
        with os.fdopen(fd, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        if os.waitstatus_to_exitcode(status) != 0:
            return self.work()
        if data[:1] == b"B":
            return data[1:]  # type: ignore[return-value]
        return pickle.loads(memoryview(data)[1:])  # from our own child, never from outside

    def cancel(self) -> None:
        """Stop the child, when the build fails before it needs the result."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.pid is not None:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            self.pid = None


def in_background(
    work: Callable[[], T],
    cleanup: contextlib.ExitStack | None = None,
    fallback: Callable[[], T] | None = None,
) -> Pending[T]:
    """Start `work` in a forked child when that can help; `.result()` gives its value (bytes
    as they are, anything else through pickle), or runs `fallback` (default: `work`) here if the
    child failed. With `cleanup`, the child is stopped when that stack closes — registered before
    Ctrl-C or `kill` can interrupt, so no child is ever left running (one writing into the staging
    folder would outlive its removal)."""
    if not can_fork():
        return Pending(work)
    read_fd, write_fd = os.pipe()

    def hand_over() -> None:  # the child: do the work, hand the bytes over
        for signum in interrupts.STOPPING:
            signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, interrupts.STOPPING)
        os.close(read_fd)
        value = work()
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(b"B" + value if isinstance(value, bytes) else b"P" + pickle.dumps(value, protocol=5))

    pending: Pending[T] | None = None
    try:
        with interrupts.held():  # until the child is known to `cleanup`; a waiting Ctrl-C arrives after
            pid = _fork(hand_over)
            os.close(write_fd)
            pending = Pending(fallback or work, pid, read_fd)
            if cleanup is not None:
                cleanup.callback(pending.cancel)
    except BaseException:
        if pending is not None:
            pending.cancel()
        raise
    return pending


def split_map(
    function: Callable[[A], R],
    items: Sequence[A],
    minimum: int = 200,
    first: Callable[[], None] | None = None,
    share: bool = True,
) -> list[R]:
    """`[function(x) for x in items]`, shared with a forked child: each process takes the next
    few items until none are left, so neither waits long for the other even when this one first
    runs `first` (other work) or some items cost more than others.

    Worth it only for a few hundred items or more: the child's results come back pickled; and
    only when a core is free (`share`). If the child fails, the items it took are done here, so a
    real error is raised with its traceback. The child runs at a lower priority (`_yielding`)."""
    if not share or len(items) < minimum or not can_fork():
        if first is not None:
            first()
        return [function(x) for x in items]
    claims = _Claims(len(items))
    done: dict[int, R] = {}

    def take_turns() -> dict[int, R]:
        return {i: function(items[i]) for i in claims}

    def left_over() -> dict[int, R]:
        return {i: function(items[i]) for i in range(len(items)) if i not in done}

    with contextlib.ExitStack() as cleanup:
        child = in_background(functools.partial(_yielding, take_turns), cleanup, fallback=left_over)
        if first is not None:
            first()
        done.update(take_turns())
        done.update(child.result())
    return [done[i] for i in range(len(items))]


HELPER_NICENESS = 10


def _yielding(work: Callable[[], T]) -> T:
    """`work` at a lower priority: a `split_map` helper only shares work this process would do
    anyway (it takes turns with it), while a search index made `in_background` is waited for at
    the end. Where the cores are all busy the index goes first: at 10,000 papers Pagefind's indexer
    now finishes while the pages are being rendered, not 4 to 6 s after them (a build 43.8 → 40.1 s)."""
    os.nice(HELPER_NICENESS)
    return work()


class _Claims:
    """Item numbers handed out a few at a time to whichever process asks next (a counter in
    memory shared with forked children, behind a lock)."""

    def __init__(self, total: int) -> None:
        import multiprocessing  # only where forking is worth it: it costs ~10 ms to import

        context = multiprocessing.get_context("fork")
        self.total = total
        self.chunk = max(1, total // 256)
        self.next = context.RawValue("q", 0)
        self.lock = context.Lock()

    def __iter__(self) -> Iterator[int]:
        while True:
            with self.lock:
                start = self.next.value
                self.next.value = start + self.chunk
            if start >= self.total:
                return
            yield from range(start, min(start + self.chunk, self.total))


class Worker(Generic[T]):
    """A forked child that runs `work` each time it is asked (`run`) and hands back the value —
    a long-lived `in_background`: `sitegen serve` builds in one, forked before its server's
    threads start, so its builds may fork in turn and pay no start-up.

    A child that fails or is gone is replaced by running `work` here, as `Pending.result` does."""

    def __init__(self, pid: int, ask: BinaryIO, answers: BinaryIO, work: Callable[[], T]) -> None:
        self.pid = pid
        self.ask = ask
        self.answers = answers
        self.work = work
        self.lock = threading.Lock()  # one run at a time, whichever thread asks
        self.stopped = False

    @classmethod
    def start(cls, work: Callable[[], T]) -> Worker[T]:
        ask_read, ask_write = os.pipe()
        answer_read, answer_write = os.pipe()

        def answer() -> None:  # the child: one run per byte asked, until the pipe closes
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the parent, which stops this:
            signal.signal(signal.SIGTERM, _leave)  # through the work's cleanup, its children too
            os.close(ask_write)
            os.close(answer_read)
            with os.fdopen(ask_read, "rb", buffering=0) as asked, os.fdopen(answer_write, "wb") as answers:
                while asked.read(1):
                    pickle.dump(work(), answers, protocol=5)
                    answers.flush()

        pid = _fork(answer)
        os.close(ask_read)
        os.close(answer_write)
        return cls(pid, os.fdopen(ask_write, "wb"), os.fdopen(answer_read, "rb"), work)

    def run(self) -> T:
        with self.lock:
            if self.stopped:
                raise WorkerStopped("asked to run after stop()")
            if self.pid:
                try:
                    self.ask.write(b"r")
                    self.ask.flush()
                    return pickle.load(self.answers)  # type: ignore[no-any-return]  # our own child's
                except (OSError, EOFError, pickle.UnpicklingError):
                    self._reap()  # the child is gone: work here from now on
            return self.work()

    def stop(self) -> None:
        self.stopped = True
        with contextlib.suppress(OSError):
            self.ask.close()  # the child reads the end of its requests and leaves…
        if self.pid:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGTERM)  # …or is stopped mid-run
            self._reap()
        self.answers.close()

    def _reap(self) -> None:
        with contextlib.suppress(OSError):
            os.waitpid(self.pid, 0)
        self.pid = 0


def _fork(child: Callable[[], None]) -> int:
    """Fork; the child runs `child` and leaves without the parent's cleanup (exit status 0, or 1
    on any error — even one raised before its work began, so a child never runs on as the parent)."""
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            child()
            status = 0
        finally:
            os._exit(status)
    return pid


class WorkerStopped(RuntimeError):
    """`Worker.run` after `Worker.stop` (another thread stopped it meanwhile)."""


def _leave(signum: int, frame: object) -> None:
    raise SystemExit(1)


def can_fork() -> bool:
    """Whether forking is possible, safe (no other thread runs, but those marked `fork_safe`) and
    worth it (a second core)."""
    return sys.platform == "linux" and _only_fork_safe_threads() and len(os.sched_getaffinity(0)) > 1


_FORK_SAFE: weakref.WeakSet[threading.Thread] = weakref.WeakSet()


def fork_safe(thread: threading.Thread) -> threading.Thread:
    """Let the build fork while `thread` runs. Only for a thread that touches nothing a forked
    child uses and holds no lock of the child's across a fork (`os.register_at_fork`): a
    child starts with only the forking thread, and a lock another held stays held in it."""
    _FORK_SAFE.add(thread)
    return thread


def _only_fork_safe_threads() -> bool:
    main = threading.main_thread()
    return all(thread is main or thread in _FORK_SAFE for thread in threading.enumerate())
