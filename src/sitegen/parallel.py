"""Independent pieces of work spread over the machine's cores. Only the pipeline calls this.

`run(jobs)` calls each job (a function of no arguments) and returns their results in order. With
more than one core, and on a system that can fork, the jobs are shared among worker processes
(`concurrent.futures`, one per core): forked after the jobs exist, the workers inherit them — the
site, the templates, the assigner — instead of having them pickled; only each job's number goes
to a worker and only its result comes back. Elsewhere the jobs simply run here, one after another.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

A = TypeVar("A")
R = TypeVar("R")

_jobs: Sequence[Callable[[], object]] = ()  # in a worker: the jobs of the `run` that forked it
MINIMUM = 200  # fewer items stay in one process: starting workers would cost more than they save
PARTS = 8  # runs of work per map: enough that a slow run does not keep the other cores waiting


def run(jobs: Sequence[Callable[[], R]]) -> list[R]:
    """`[job() for job in jobs]`, shared among the cores when there is more than one job."""
    workers = min(len(jobs), cores())
    if workers < 2:
        return [job() for job in jobs]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_receive, initargs=(jobs,)) as pool:
        return list(pool.map(_call, range(len(jobs))))  # type: ignore[arg-type]


def map_each(function: Callable[[A], R], items: Sequence[A]) -> list[R]:
    """`[function(x) for x in items]`, the items cut into `PARTS` runs shared among the cores."""
    if len(items) < MINIMUM:
        return [function(x) for x in items]
    parts = run([functools.partial(_each, function, part) for part in chunks(items)])
    return [result for part in parts for result in part]


def _each(function: Callable[[A], R], items: Sequence[A]) -> list[R]:
    return [function(x) for x in items]


def chunks(items: Sequence[A], pieces: int = PARTS) -> list[Sequence[A]]:
    """`items` cut into at most `pieces` runs of nearly equal length, in order."""
    size = -(-len(items) // max(pieces, 1)) or 1
    return [items[start : start + size] for start in range(0, len(items), size)]


def cores() -> int:
    """How many processes `run` uses: the cores this process may run on, where it can fork."""
    if sys.platform != "linux":  # fork is Linux's default and safe there; macOS's is not
        return 1
    return len(os.sched_getaffinity(0))


def _receive(jobs: Sequence[Callable[[], object]]) -> None:
    global _jobs
    _jobs = jobs


def _call(number: int) -> object:
    return _jobs[number]()
