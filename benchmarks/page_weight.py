"""What each page of a built site weighs with the CSS and JavaScript it loads (search index aside).

Usage: python benchmarks/page_weight.py [--site public]

Prints, per kind of page, the heaviest page and the median, raw and gzip, so the 100 KB budget
(every page but search) can be checked at a glance; tests/test_exports.py enforces it.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.sitecheck import html_files, page_assets  # noqa: E402


def kind_of(site: Path, page: Path) -> str:
    parts = page.relative_to(site).parts
    if len(parts) == 1:
        return "home" if parts[0] == "index.html" else parts[0]
    return {"papers": "paper", "topics": "topic"}.get(parts[0], parts[0])


def weight(site: Path, page: Path) -> tuple[int, int]:
    files = [page, *page_assets(site, page)]
    data = [f.read_bytes() for f in files]
    return sum(len(d) for d in data), sum(len(gzip.compress(d, 6)) for d in data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "public")
    args = parser.parse_args()
    by_kind: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for page in html_files(args.site):
        raw, gz = weight(args.site, page)
        by_kind[kind_of(args.site, page)].append((raw, gz, str(page.relative_to(args.site))))
    print(f"{'page kind':<10} {'pages':>5} {'median raw':>11} {'max raw':>9} {'max gzip':>9}  heaviest")
    for kind, rows in sorted(by_kind.items()):
        rows.sort(reverse=True)
        median = statistics.median(r[0] for r in rows)
        print(
            f"{kind:<10} {len(rows):>5} {median / 1024:>8.1f} KB {rows[0][0] / 1024:>6.1f} KB "
            f"{rows[0][1] / 1024:>6.1f} KB  {rows[0][2]}"
        )


if __name__ == "__main__":
    main()
