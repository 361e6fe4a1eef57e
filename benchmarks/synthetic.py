"""Synthetic surveys of any size, for the build benchmarks: realistic text, fixed random seed.

Usage: python benchmarks/synthetic.py N TARGET_DIR [--seed 7]

The survey is the default one (its five listings, taxonomy, overrides and templates, so example
papers and overrides still name real papers) grown to N papers with synthetic ones. Each
synthetic paper recombines the default survey's own material: a title made of the first half of
one real title and the second half of another, an abstract of 4 to 9 sentences drawn from real
abstracts, and metadata in the Hugging Face listing layout (author count, date between 2021 and
2025, upvotes for some). Titles are unique, so de-duplication keeps every paper. Synthetic papers
go in listings of at most 1,000 papers — a project `sitegen build` builds as it is.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from sitegen.ingest.listings import parse_listing  # noqa: E402
from sitegen.ingest.merge import merge_duplicates  # noqa: E402

PAPERS_PER_LISTING = 1000
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def source_material() -> tuple[list[str], list[str]]:
    """The default survey's titles and abstract sentences."""
    titles, sentences = [], []
    for listing in sorted((ROOT / "content" / "sources").glob("*.txt")):
        for paper in parse_listing(listing.read_text(encoding="utf-8"), listing).papers:
            titles.append(paper.title)
            sentences.extend(s for s in _SENTENCE_END.split(paper.abstract) if len(s) > 30)
    return titles, sentences


def synthetic_papers(count: int, seed: int = 7) -> list[str]:
    """`count` paper entries in the listing layout, the same for the same count and seed."""
    rng = random.Random(seed)
    titles, sentences = source_material()
    seen = {t.lower() for t in titles}  # never a real paper's title, or it would merge with it
    entries = []
    start = dt.date(2021, 1, 1).toordinal()
    span = dt.date(2025, 12, 31).toordinal() - start
    while len(entries) < count:
        first, second = rng.choice(titles).split(), rng.choice(titles).split()
        title = " ".join(first[: max(1, len(first) // 2)] + second[len(second) // 2 :])
        if title.lower() in seen:
            title = f"{title} ({len(entries) + 1})"
        seen.add(title.lower())
        abstract = " ".join(rng.sample(sentences, rng.randint(4, 9)))
        date = dt.date.fromordinal(start + rng.randrange(span))
        upvotes = f" {rng.randint(1, 120)}" if rng.random() < 0.3 else ""
        entries.append(
            f"{title}\n\n{abstract}\n\n  • {rng.randint(1, 24)} authors\n·\n"
            f"{MONTHS[date.month - 1]} {date.day}, {date.year}{upvotes}\n"
        )
    return entries


def write_survey(count: int, target: Path, seed: int = 7) -> Path:
    """A buildable project at `target`: the default survey grown to `count` papers."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copy(ROOT / "site.yaml", target / "site.yaml")
    shutil.copytree(ROOT / "content", target / "content")
    shutil.copytree(ROOT / "templates", target / "templates")
    sources = target / "content" / "sources"
    real = len(
        merge_duplicates(
            [p for f in sources.glob("*.txt") for p in parse_listing(f.read_text("utf-8"), f).papers]
        )
    )
    if count < real:
        raise SystemExit(f"a synthetic survey starts from the {real} default papers: ask for at least {real}")
    entries = synthetic_papers(count - real, seed)
    count = len(entries)
    for number, first in enumerate(range(0, count, PAPERS_PER_LISTING)):
        chunk = entries[first : first + PAPERS_PER_LISTING]
        (sources / f"synthetic-{number:03d}.txt").write_text("\n".join(chunk), encoding="utf-8")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("count", type=int)
    parser.add_argument("target", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    write_survey(args.count, args.target, args.seed)
    print(f"wrote a survey of {args.count} papers to {args.target}")


if __name__ == "__main__":
    main()
