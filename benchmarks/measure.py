"""What the build benchmarks share: timing one whole process, and the editor's typical edit."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path


def run(command: list[str], cwd: Path, extra_env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall-clock seconds and peak resident memory (MB) of one process and the children it waited for."""
    elapsed, _, memory = run_with_cpu(command, cwd, extra_env)
    return elapsed, memory


def run_with_cpu(
    command: list[str], cwd: Path, extra_env: dict[str, str] | None = None
) -> tuple[float, float, float]:
    """As `run`, with the CPU seconds (user + system) in the middle: on a machine whose speed
    drifts, CPU time compares two versions more steadily than wall-clock time.

    Python may keep compiled modules (`__pycache__`), as it does on an editor's machine: some
    environments (this one) set PYTHONDONTWRITEBYTECODE, which would recompile sitegen on every run.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | (extra_env or {})
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, env=env)
    elapsed, usage = _waited(process, start, command, cwd)
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _waited(
    process: subprocess.Popen[bytes], start: float, command: list[str], cwd: Path
) -> tuple[float, resource.struct_rusage]:
    """Seconds since `start` when `process` ended, and what it and its children used (`wait4`:
    `Popen.wait` does not say); a process that failed is reported, not timed."""
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed in {cwd}")
    return elapsed, usage


# What every build benchmark times: a whole `sitegen build` process, as an editor runs it.
SITEGEN_BUILD = [sys.executable, "-m", "sitegen", "build", "--quiet"]


def sitegen_build(project: Path) -> tuple[float, float]:
    return run(SITEGEN_BUILD, project)


_FIRST_TOPIC_RULE = re.compile(r"(\ntopics:.*?\n\s+(?:- )?phrases: \[)", re.DOTALL)


def edit_one_topic(project: Path, n: int) -> None:
    """What an editor does between builds: add a phrase to a rule of one topic (the first)."""
    taxonomy = project / "content" / "taxonomy.yaml"
    text = taxonomy.read_text(encoding="utf-8")
    edited, found = _FIRST_TOPIC_RULE.subn(rf"\g<1>editphrase{n}, ", text, count=1)
    if not found:
        raise SystemExit(f"{taxonomy}: no topic rule with phrases to edit")
    taxonomy.write_text(edited, encoding="utf-8")


# Ordinary phrases of the synthetic surveys' abstracts: each one added to a topic's rule moves
# papers into it (the default survey's abstracts, recombined, hold all of them).
MOVING_PHRASES = ("memory", "efficiently", "budget", "computational cost", "lightweight", "hardware")


def edit_moving_papers(project: Path, n: int) -> None:
    """An edit that moves papers: the first topic's rule gains a phrase many abstracts hold, so
    their topics, the topic pages and the search index's filters change."""
    taxonomy = project / "content" / "taxonomy.yaml"
    text = taxonomy.read_text(encoding="utf-8")
    phrase = MOVING_PHRASES[n % len(MOVING_PHRASES)] + ("" if n < len(MOVING_PHRASES) else f" {n}")
    edited, found = _FIRST_TOPIC_RULE.subn(rf"\g<1>{phrase}, ", text, count=1)
    if not found:
        raise SystemExit(f"{taxonomy}: no topic rule with phrases to edit")
    taxonomy.write_text(edited, encoding="utf-8")


def edit_a_template(project: Path, n: int) -> None:
    """The other edit between builds: a change to the page layout (every page), no paper moves."""
    base = project / "templates" / "base.html"
    text = re.sub(r"<!-- edit \d+ -->", "", base.read_text(encoding="utf-8"))
    if "</body>" not in text:
        raise SystemExit(f"{base}: no </body> to edit before")
    base.write_text(text.replace("</body>", f"<!-- edit {n} --></body>", 1), encoding="utf-8")
