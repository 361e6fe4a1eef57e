"""Two versions of sitegen on the default survey, runs interleaved, so the machine's drift hits both.

Usage: python benchmarks/compare.py OLD_SRC NEW_SRC [--runs 5]

OLD_SRC and NEW_SRC are `src` folders (e.g. of a `git worktree add ../old <commit>`). Each run is
a cold build and a rebuild after one topic's rule changed (`measure.edit_one_topic`), as a whole
`python -m sitegen build` process with that folder first on PYTHONPATH; the two versions take
turns. Prints the medians. This virtual machine's speed drifts by ±20 % between minutes, so only
figures measured together compare.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from build_time import ROOT, copy_survey
from measure import edit_one_topic, run


def build_with(src: Path, project: Path) -> float:
    """Seconds of one `sitegen build` process running the code in `src`."""
    command = [sys.executable, "-m", "sitegen", "build", "--quiet"]
    return run(command, project, {"PYTHONPATH": str(src)})[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", type=Path, nargs=2, metavar="SRC")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sources = [src.resolve() for src in args.sources]
    scratch = Path(tempfile.mkdtemp(prefix=".sitegen-compare-", dir=ROOT.parent))
    cold: dict[Path, list[float]] = {src: [] for src in sources}
    rebuild: dict[Path, list[float]] = {src: [] for src in sources}
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
        print(
            f"{src}: cold {statistics.median(cold[src]):.2f} s, "
            f"rebuild {statistics.median(rebuild[src]):.2f} s "
            f"(min {min(rebuild[src]):.2f}, max {max(rebuild[src]):.2f}; {args.runs} runs each)"
        )


if __name__ == "__main__":
    main()
