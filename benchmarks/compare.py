"""Two versions of sitegen on the default survey, runs interleaved, so the machine's drift hits both.

Usage: python benchmarks/compare.py OLD_SRC NEW_SRC [--runs 5]

OLD_SRC and NEW_SRC are `src` folders (e.g. of a `git worktree add ../old <commit>`). Each run is
a cold build and a rebuild after one topic's rule changed (`measure.edit_one_topic`), as a whole
`python -m sitegen build` process with that folder first on PYTHONPATH; the two versions take
turns. Prints the medians, wall-clock and CPU (user + system, the build's children included).
This virtual machine's speed drifts by ±20 % between minutes, so only figures measured together
compare; CPU time drifts less.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
from pathlib import Path

from build_time import ROOT, copy_survey
from measure import SITEGEN_BUILD, edit_one_topic, run_with_cpu


def build_with(src: Path, project: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one `sitegen build` process running the code in `src`."""
    elapsed, cpu, _ = run_with_cpu(SITEGEN_BUILD, project, {"PYTHONPATH": str(src)})
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", type=Path, nargs=2, metavar="SRC")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sources = [src.resolve() for src in args.sources]
    scratch = Path(tempfile.mkdtemp(prefix=".sitegen-compare-", dir=ROOT.parent))
    cold: dict[Path, list[tuple[float, float]]] = {src: [] for src in sources}
    rebuild: dict[Path, list[tuple[float, float]]] = {src: [] for src in sources}
    try:
        warm = {src: copy_survey(scratch / f"warm-{i}") for i, src in enumerate(sources)}
        for src in sources:  # fill the cache, and leave a spare as an editor's second build does
            build_with(src, warm[src])
            edit_one_topic(warm[src], 9999)
            build_with(src, warm[src])
        for n in range(args.runs):
            for i, src in enumerate(sources):
                cold[src].append(build_with(src, copy_survey(scratch / f"cold-{i}-{n}")))
                edit_one_topic(warm[src], n)
                rebuild[src].append(build_with(src, warm[src]))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for src in sources:
        print(f"{src}: cold {_medians(cold[src])}, rebuild {_medians(rebuild[src])} ({args.runs} runs each)")


def _medians(runs: list[tuple[float, float]]) -> str:
    walls = [wall for wall, _ in runs]
    cpu = statistics.median(cpu for _, cpu in runs)
    return f"{statistics.median(walls):.2f} s (min {min(walls):.2f}, max {max(walls):.2f}; CPU {cpu:.2f} s)"


if __name__ == "__main__":
    main()
