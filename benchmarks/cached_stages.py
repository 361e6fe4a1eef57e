"""What the cache in `.sitegen-cache/` saves: the time of each result it keeps, made afresh.

Usage: python benchmarks/cached_stages.py [--sizes 1500 10000] [--runs 3]

For the default survey and synthetic surveys of each size (benchmarks/synthetic.py), times in
this process (imports done) the three results the cache keeps — the text statistics, the related
papers and the Lunr index — as a build makes them on one core, and prints the medians: what a
rebuild after a taxonomy, overrides or template edit does not wait for.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sitegen.classify.related import related_papers
from sitegen.classify.similarity import paper_vectors
from sitegen.config import load_config
from sitegen.pipeline import BuildReport, load_inputs
from sitegen.search.lunr import search_index_inputs, search_index_json

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent


def median_seconds(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(project: Path, runs: int) -> str:
    papers = load_inputs(load_config(project / "site.yaml"), BuildReport()).papers
    text = paper_vectors(papers)
    slugs = [p.slug for p in papers]
    inputs = search_index_inputs(papers)
    figures = {
        "text statistics": median_seconds(lambda: paper_vectors(papers), runs),
        "related papers": median_seconds(lambda: related_papers(text.vectors, slugs), runs),
        "Lunr index": median_seconds(lambda: search_index_json(inputs), runs),
    }
    return f"{len(papers):>6} papers: " + ", ".join(f"{name} {secs:.2f} s" for name, secs in figures.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1500, 10000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(measure(ROOT, args.runs), flush=True)
    with tempfile.TemporaryDirectory(prefix=".sitegen-cached-", dir=ROOT.parent) as scratch:
        for size in args.sizes:
            project = Path(scratch) / f"survey-{size}"
            command = [sys.executable, str(HERE / "synthetic.py"), str(size), str(project)]
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            print(measure(project, args.runs), flush=True)


if __name__ == "__main__":
    main()
