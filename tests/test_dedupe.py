"""De-duplication across listings and slug safety."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sitegen.ingest.listings import parse_listing
from sitegen.ingest.merge import merge_duplicates
from sitegen.ingest.slugs import MAX_SLUG_CHARS, slugify, unique_slugs
from sitegen.models import RawPaper, SourceRef

ROOT = Path(__file__).resolve().parent.parent


def raw(title: str, line: int = 1, **fields) -> RawPaper:
    defaults = {"abstract": "An abstract."}
    defaults.update(fields)
    return RawPaper(title=title, source=SourceRef(Path("a.txt"), line), **defaults)


def test_same_title_in_other_case_and_punctuation_is_one_paper() -> None:
    papers = merge_duplicates([raw("LoRA: Low-Rank Adaptation"), raw("lora  low rank adaptation", 9)])
    assert len(papers) == 1
    assert papers[0].title == "LoRA: Low-Rank Adaptation"
    assert [s.line for s in papers[0].sources] == [1, 9]


def test_merge_keeps_the_richest_metadata() -> None:
    papers = merge_duplicates(
        [
            raw("A Paper", abstract="Short."),
            raw(
                "A Paper",
                abstract="A much longer abstract.",
                authors_count=4,
                date=dt.date(2024, 1, 2),
                upvotes=3,
            ),
            raw("A Paper", organization="UCAS", upvotes=7),
        ]
    )
    (paper,) = papers
    assert paper.abstract == "A much longer abstract."
    assert (paper.authors_count, paper.date, paper.upvotes, paper.organization) == (
        4,
        dt.date(2024, 1, 2),
        7,
        "UCAS",
    )


def test_default_seeds_hold_exactly_430_distinct_papers() -> None:
    raws = []
    for path in sorted((ROOT / "content" / "sources").glob("*.txt")):
        raws.extend(parse_listing(path.read_text(encoding="utf-8"), path).papers)
    assert len(raws) == 474
    papers = merge_duplicates(raws)
    assert len(papers) == 430
    repeated = {p.title: len(p.sources) for p in papers if len(p.sources) > 1}
    assert repeated["An Emulator for Fine-Tuning Large Language Models using Small Language Models"] == 4
    assert len({p.slug for p in papers}) == 430


def test_a_repeat_with_metadata_enriches_a_bare_copy() -> None:
    raws = []
    for path in sorted((ROOT / "content" / "sources").glob("*.txt")):
        raws.extend(parse_listing(path.read_text(encoding="utf-8"), path).papers)
    papers = {p.title: p for p in merge_duplicates(raws)}
    emulator = papers["Instruction-tuning Aligns LLMs to the Human Brain"]
    assert (emulator.authors_count, emulator.date, emulator.upvotes) == (5, dt.date(2023, 12, 1), 4)


def test_slugs_are_safe_bounded_and_unique() -> None:
    assert slugify("LoRA vs Full Fine-tuning: An Illusion") == "lora-vs-full-fine-tuning-an-illusion"
    assert slugify("Çà et là: ../../etc/passwd") == "ca-et-la-etc-passwd"
    assert slugify("!!!") == "untitled"
    assert len(slugify("word " * 100)) <= MAX_SLUG_CHARS
    assert unique_slugs(["Same Title", "same title!", "SAME TITLE"]) == [
        "same-title",
        "same-title-2",
        "same-title-3",
    ]
    assert unique_slugs(["Café Models", "Cafe Models", "same-title", "Same Title", "Same Title 2"]) == [
        "cafe-models",
        "cafe-models-2",
        "same-title",
        "same-title-2",
        "same-title-2-2",
    ]
    long_slugs = unique_slugs(["x" * 200, "x" * 200])
    assert all(len(s) <= MAX_SLUG_CHARS for s in long_slugs) and len(set(long_slugs)) == 2
