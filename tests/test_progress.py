"""Progress on a terminal for long builds; silence for short ones, pipes and --quiet."""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys
import threading
import time

from sitegen.progress import CLEAR_LINE, Progress

from .conftest import ROOT


def test_a_long_build_shows_each_stage_then_wipes_the_line() -> None:
    out = io.StringIO()
    with Progress(out, delay=0) as progress:
        progress.begin("assign")
        time.sleep(0.05)
        progress.begin("render")
        time.sleep(0.05)
    text = out.getvalue()
    assert "Building… assign (" in text and "Building… render (" in text
    assert text.index("assign") < text.index("render") and text.endswith(CLEAR_LINE)


def test_a_short_build_shows_nothing() -> None:
    out = io.StringIO()
    with Progress(out, delay=5) as progress:
        progress.begin("render")
    assert out.getvalue() == ""


IMMEDIATE = (
    "import sys; from sitegen import progress, cli; "
    "progress.Progress.__init__.__defaults__ = (0,); "
)  # the same CLI, with the 2-second delay set to 0 so a small survey counts as slow


def run_on_terminal(args: list[str], cwd: str, immediate: bool = False) -> str:
    """Runs sitegen with its output on a pseudo-terminal, as an editor's shell would."""
    leader, follower = pty.openpty()
    prelude = IMMEDIATE if immediate else ""
    command = [sys.executable, "-c", f"{prelude}import sys; from sitegen import cli; cli.main(sys.argv[1:])"]
    process = subprocess.Popen([*command, *args], cwd=cwd, stdout=follower, stderr=follower, close_fds=True)
    os.close(follower)
    chunks: list[bytes] = []

    def read() -> None:
        while True:
            try:
                data = os.read(leader, 4096)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=read)
    reader.start()
    process.wait(timeout=120)
    reader.join(timeout=10)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


def test_terminal_builds_only_show_progress_when_slow_and_never_with_quiet(make_project, monkeypatch) -> None:
    project = make_project()
    monkeypatch.setenv("PYTHONPATH", str(ROOT / "src"))
    shown = run_on_terminal(["build"], str(project))
    assert "Built " in shown and "Building…" not in shown, "a small survey builds in well under 2 s"
    quiet = run_on_terminal(["build", "--quiet"], str(project), immediate=True)
    assert quiet.strip() == ""
    slow = run_on_terminal(["build"], str(project), immediate=True)
    assert "Building… " in slow and CLEAR_LINE + "Built " in slow.replace("\r\n", "\n")


def test_the_summary_s_stage_times_add_up_to_the_whole_build(make_project) -> None:
    """The one-line summary's total is the build from start to finish; what no stage timed is
    shown as "other", so an editor can trust where the time went."""
    from sitegen.config import load_config
    from sitegen.pipeline import BuildReport, build

    project = make_project()
    started = time.perf_counter()
    report = build(load_config(project / "site.yaml"), BuildReport())
    whole = time.perf_counter() - started
    assert report.elapsed is not None and sum(report.timings.values()) <= report.elapsed <= whole
    summary = report.summary()
    total = float(re.search(r" in ([\d.]+) s \(", summary).group(1))
    stages = [int(ms) for ms in re.findall(r"(\d+) ms", summary)]
    assert "write" in report.timings and " other " in summary
    assert abs(sum(stages) / 1000 - total) <= 0.005 + 0.0005 * len(stages)  # rounding only
