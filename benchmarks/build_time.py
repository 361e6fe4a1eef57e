"""Median wall-clock time and peak memory of `sitegen build` on the default survey, as a whole process.

Usage: python benchmarks/build_time.py [--runs 5]

Each run is a fresh `sitegen build` process (imports included) on a scratch copy of the survey,
so the figures are what an editor waits for after saving:
  * cold: no `.sitegen-cache/`, no previous output;
  * taxonomy edit: the cache is warm and one topic's rule in content/taxonomy.yaml gained a
    phrase since the last build (what an editor does between builds).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
from pathlib import Path

from measure import edit_one_topic, sitegen_build

ROOT = Path(__file__).resolve().parent.parent


def copy_survey(target: Path) -> Path:
    target.mkdir(parents=True)
    shutil.copy(ROOT / "site.yaml", target / "site.yaml")
    shutil.copytree(ROOT / "content", target / "content")
    shutil.copytree(ROOT / "templates", target / "templates")
    return target


def timed_build(project: Path) -> tuple[float, float]:
    """Seconds and peak resident memory (MB) of one `sitegen build` process."""
    return sitegen_build(project)


def cold_run(scratch: Path, n: int) -> tuple[float, float]:
    return timed_build(copy_survey(scratch / f"cold-{n}"))


def taxonomy_edit_run(project: Path, n: int) -> tuple[float, float]:
    edit_one_topic(project, n)
    return timed_build(project)


def report(label: str, runs: list[tuple[float, float]]) -> None:
    times = [t for t, _ in runs]
    memory = max(m for _, m in runs)
    print(
        f"{label:<28} median {statistics.median(times):.2f} s "
        f"(min {min(times):.2f}, max {max(times):.2f}; {len(times)} runs), peak memory {memory:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    # Beside the project, on the disk an editor builds on: /tmp may be another (and on some
    # machines much slower) file system, and writing 500 small files is part of every build.
    scratch = Path(tempfile.mkdtemp(prefix=".sitegen-bench-", dir=ROOT.parent))
    try:
        cold = [cold_run(scratch, n) for n in range(args.runs)]
        warm = copy_survey(scratch / "warm")
        timed_build(warm)  # fills the cache
        edits = [taxonomy_edit_run(warm, n) for n in range(args.runs)]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print("sitegen build, default survey (430 papers), whole process:")
    report("cold", cold)
    report("after a taxonomy-only edit", edits)


if __name__ == "__main__":
    main()
