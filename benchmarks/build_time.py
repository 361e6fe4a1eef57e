"""Median wall-clock time of `sitegen build` on the default survey, as a whole process.

Usage: python benchmarks/build_time.py [--runs 5]
Each run is a fresh `sitegen build` process (imports included) writing into a scratch folder,
so the figure is what an editor waits for after saving.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def time_build(out: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "sitegen", "build", "--config", str(ROOT / "site.yaml"), "--out", str(out), "--quiet"],
        check=True,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="sitegen-bench-"))
    try:
        times = [time_build(scratch / "public") for _ in range(args.runs)]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"sitegen build, default survey, {args.runs} runs: median {statistics.median(times):.2f} s "
          f"(min {min(times):.2f} s, max {max(times):.2f} s)")


if __name__ == "__main__":
    main()
