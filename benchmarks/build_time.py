"""Median wall-clock time and peak memory of `sitegen build` on the default survey, as a whole process.

Usage: python benchmarks/build_time.py [--runs 5]

Each run is a fresh `sitegen build` process (imports included) on a scratch copy of the survey,
so the figures are what an editor waits for after saving:
  * cold: no `.sitegen-cache/`, no previous output;
  * taxonomy edit: the cache is warm and one topic's rule in content/taxonomy.yaml gained a
    phrase since the last build (what an editor does between builds);
  * the same edit under `sitegen serve`: the preview's rebuild, from the edit to the new site
    (its builder process has everything imported; the file watcher's ~50 ms wait is not counted).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import statistics
import tempfile
import time
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


def serve_rebuild_runs(project: Path, runs: int) -> list[tuple[float, float]]:
    """Seconds of each preview rebuild after the editor's edit (memory: not measured, 0)."""
    from sitegen.editor.serve import PreviewSite

    site = PreviewSite(project / "site.yaml", "http://127.0.0.1:8000/")
    try:
        if site.rebuild() is not None:
            raise SystemExit("the preview's first build failed")
        times = []
        for n in range(runs):
            edit_one_topic(project, 1000 + n)
            start = time.perf_counter()
            if site.rebuild() is not None:
                raise SystemExit("a preview rebuild failed")
            times.append((time.perf_counter() - start, 0.0))
        return times
    finally:
        site.cleanup()


def report(label: str, runs: list[tuple[float, float]]) -> None:
    times = [t for t, _ in runs]
    memory = max(m for _, m in runs)
    print(
        f"{label:<28} median {statistics.median(times):.2f} s "
        f"(min {min(times):.2f}, max {max(times):.2f}; {len(times)} runs)"
        + (f", peak memory {memory:.0f} MB" if memory else "")
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
        with contextlib.redirect_stdout(io.StringIO()):  # the preview's "Rebuilt: ..." lines
            previews = serve_rebuild_runs(copy_survey(scratch / "serve"), args.runs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print("sitegen build, default survey (430 papers), whole process:")
    report("cold", cold)
    report("after a taxonomy-only edit", edits)
    print("sitegen serve, the same edit (rebuild in the running preview):")
    report("preview rebuild", previews)


if __name__ == "__main__":
    main()
