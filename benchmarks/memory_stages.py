"""Where a build's memory goes: peak resident memory of sitegen's own process before each stage.

Usage: python benchmarks/memory_stages.py [SURVEY_DIR]   (default: this repository's survey)

Builds the survey in SURVEY_DIR once (as `sitegen build` would, cache and all) and prints, as each
stage starts, the seconds elapsed and the peak memory so far; at the end, the peak of the child
processes it waited for (the forked helpers and Pagefind's indexer, the largest of them).
Make a large survey first with `python benchmarks/synthetic.py 10000 DIR`.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

from sitegen.config import load_config
from sitegen.pipeline import BuildReport, build

ROOT = Path(__file__).resolve().parent.parent


def peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def main() -> None:
    survey = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT
    start = time.perf_counter()

    def on_stage(name: str) -> None:
        elapsed = time.perf_counter() - start
        print(f"{elapsed:7.1f} s  before {name:<16} peak {peak_mb(resource.RUSAGE_SELF):6.0f} MB", flush=True)

    build(load_config(survey / "site.yaml"), BuildReport(on_stage=on_stage))
    on_stage("the end")
    print(f"children's peak (largest one): {peak_mb(resource.RUSAGE_CHILDREN):.0f} MB")


if __name__ == "__main__":
    main()
