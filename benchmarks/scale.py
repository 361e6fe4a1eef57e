"""How `sitegen build` scales: synthetic surveys of several sizes, whole processes, medians.

Usage: python benchmarks/scale.py [--sizes 1000 10000 50000] [--runs 5] [--markdown FILE]

For each size it writes a synthetic survey (benchmarks/synthetic.py, fixed seed) beside the
repository, then measures, each as a fresh process:
  * cold: `sitegen build` with no .sitegen-cache/ and no previous output — median and min/max of
    --runs runs, peak resident memory (the build's process and the children it waited for);
  * taxonomy edit: a rebuild after one topic's rule gained a phrase (cache warm);
  * papers moved: a rebuild after one topic's rule gained a phrase many abstracts hold, so
    papers change topics (and a Pagefind index's filters change);
  * template edit: a rebuild after a change to the page layout, every page rewritten, no paper
    moved (past `search.lunr_limit`, Pagefind's index is kept from the earlier build);
  * bare Jinja2: the same pages through benchmarks/bare_jinja.py, and sitegen's cold median as a
    multiple of it.
Then it prints the cost per 1,000 papers between successive sizes (the slope) and, with
--markdown, writes the table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import edit_a_template, edit_moving_papers, edit_one_topic, run, sitegen_build

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent


def cold(project: Path) -> tuple[float, float]:
    """A build with no cache and no previous output. They are moved aside (deleted with the
    scratch folder at the end), not deleted here: on a disk like this machine's (ext4 without a
    journal) every file created within minutes of a mass deletion skips the freed inodes one by
    one, which would time the deletion's after-effects rather than the build (docs/benchmarks.md)."""
    move_aside(project.parent, project / "public", project / ".sitegen-cache", project / ".public.spare")
    return sitegen_build(project)


_ASIDE = itertools.count()


def move_aside(scratch: Path, *paths: Path) -> None:
    """Into the scratch folder's `moved-aside/`, which goes when the benchmark ends (see `cold`)."""
    for path in paths:
        if path.exists():
            aside = scratch / "moved-aside" / str(next(_ASIDE))
            aside.mkdir(parents=True)
            path.rename(aside / path.name)


def taxonomy_edit(project: Path, n: int) -> tuple[float, float]:
    edit_one_topic(project, n)
    return sitegen_build(project)


def moving_edit(project: Path, n: int) -> tuple[float, float]:
    edit_moving_papers(project, n)
    return sitegen_build(project)


def template_edit(project: Path, n: int) -> tuple[float, float]:
    edit_a_template(project, n)
    return sitegen_build(project)


def bare_jinja(project: Path) -> tuple[float, float]:
    out = project / "bare"
    move_aside(project.parent, out)
    return run([sys.executable, str(HERE / "bare_jinja.py"), str(project / "public"), str(out)], project)


def median(runs: list[tuple[float, float]]) -> float:
    return statistics.median(t for t, _ in runs)


def measure(size: int, runs: int, scratch: Path) -> dict[str, float]:
    project = scratch / f"survey-{size}"
    subprocess.run(
        [sys.executable, str(HERE / "synthetic.py"), str(size), str(project)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    cold_runs = [cold(project) for _ in range(runs)]
    edit_runs = [taxonomy_edit(project, n) for n in range(runs)]
    moving_runs = [moving_edit(project, n) for n in range(runs)]
    template_runs = [template_edit(project, n) for n in range(runs)]
    bare_runs = [bare_jinja(project) for _ in range(runs)]
    row = {
        "papers": size,
        "cold": median(cold_runs),
        "cold_min": min(t for t, _ in cold_runs),
        "cold_max": max(t for t, _ in cold_runs),
        "memory": max(m for _, m in cold_runs + edit_runs + moving_runs + template_runs),
        "edit": median(edit_runs),
        "moving": median(moving_runs),
        "template": median(template_runs),
        "bare": median(bare_runs),
    }
    row["ratio"] = row["cold"] / row["bare"]
    print(
        f"{size:>6} papers: cold {row['cold']:.1f} s (min {row['cold_min']:.1f}, max {row['cold_max']:.1f}), "
        f"taxonomy edit {row['edit']:.1f} s, papers moved {row['moving']:.1f} s, "
        f"template edit {row['template']:.1f} s, "
        f"peak {row['memory']:.0f} MB, "
        f"bare Jinja2 {row['bare']:.2f} s ({row['ratio']:.1f}x)",
        flush=True,
    )
    move_aside(scratch, project)
    return row


def table(rows: list[dict[str, float]], runs: int) -> str:
    lines = [
        f"| papers | cold build (median of {runs}) | min–max | taxonomy-only rebuild | papers moved "
        "| template-only rebuild | peak memory | bare Jinja2 | × bare |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['papers']:,} | {r['cold']:.2f} s | {r['cold_min']:.2f}–{r['cold_max']:.2f} s "
            f"| {r['edit']:.2f} s | {r['moving']:.2f} s | {r['template']:.2f} s | {r['memory']:.0f} MB "
            f"| {r['bare']:.2f} s | {r['ratio']:.1f} |"
        )
    for a, b in itertools.pairwise(rows):
        slope = (b["cold"] - a["cold"]) / (b["papers"] - a["papers"]) * 1000
        lines.append(f"\nSlope {a['papers']:,} → {b['papers']:,} papers: {slope:.2f} s per 1,000 papers.")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    # Beside the repository, on the disk an editor builds on (/tmp may be slower or in memory).
    scratch = Path(tempfile.mkdtemp(prefix=".sitegen-scale-", dir=ROOT.parent))
    try:
        rows = [measure(size, args.runs, scratch) for size in args.sizes]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    text = table(rows, args.runs)
    print(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
