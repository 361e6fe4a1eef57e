"""A rebuild as an editor runs it, on a terminal with its progress line, against `--quiet` to nowhere.

Usage: python benchmarks/terminal_build.py [--project DIR] [--runs 5]

Every other benchmark times `sitegen build --quiet` with its output going nowhere, as CI runs it.
On a terminal a build shows a progress line, drawn by a thread; until stop 26 any thread kept
the build from forking, so there, and only there, it ran on one core. Both are timed here on
the same project, interleaved, after one build that fills the cache and leaves a spare (an
editor's rebuild with nothing changed: most of it is rendering, which the two cores share).
Without --project, a copy of the default survey beside the repository.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from build_time import copy_survey
from measure import run_on_terminal, sitegen_build

ROOT = Path(__file__).resolve().parent.parent
ON_TERMINAL = [sys.executable, "-m", "sitegen", "build"]  # as typed: progress line and summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="a survey to rebuild in place")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix=".sitegen-bench-", dir=ROOT.parent))
    try:
        project = args.project or copy_survey(scratch / "survey")
        sitegen_build(project)  # the cache and the spare, as an editor's rebuild finds them
        terminal, quiet = [], []
        for _ in range(args.runs):
            terminal.append(run_on_terminal(ON_TERMINAL, project)[0])
            quiet.append(sitegen_build(project)[0])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"sitegen build, nothing changed, {project if args.project else 'default survey'}:")
    for label, times in [("on a terminal (progress)", terminal), ("--quiet, output to nowhere", quiet)]:
        print(
            f"  {label:<28} median {statistics.median(times):.2f} s "
            f"(min {min(times):.2f}, max {max(times):.2f}; {len(times)} runs)"
        )


if __name__ == "__main__":
    main()
