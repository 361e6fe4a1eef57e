"""Build-time reading aids: related papers and the papers-per-year charts."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

from sitegen.classify.related import TERMS_PER_PAPER, _strongest_terms, related_papers
from sitegen.classify.similarity import paper_vectors
from sitegen.models import AssignedPaper, Paper, SourceRef
from sitegen.site.charts import YearCounts, topic_year_grid, year_bars, year_span


def paper(slug: str, title: str, abstract: str = "", date: dt.date | None = None) -> Paper:
    return Paper(slug, title, abstract, (SourceRef(Path("x.txt"), 1),), date=date)


PAPERS = [
    paper("lora-a", "Low-rank adapters for tuning", "low-rank adapters reduce trainable parameters"),
    paper("lora-b", "Quantized low-rank adapters", "low-rank adapters with 4-bit quantized weights"),
    paper("lora-c", "Sparse low-rank adapters", "pruning low-rank adapters keeps trainable parameters few"),
    paper("dpo-a", "Direct preference optimisation", "preference pairs replace a reward model"),
    paper("dpo-b", "Preference optimisation without a reference", "preference pairs and a margin"),
    paper("unlearn", "Unlearning private facts", "gradient ascent forgets private facts"),
]


def test_related_papers_are_the_most_alike_and_never_the_paper_itself() -> None:
    vectors = paper_vectors(PAPERS).vectors
    related = related_papers(vectors, [p.slug for p in PAPERS], count=2)
    assert set(related["lora-a"]) == {"lora-b", "lora-c"}
    assert related["dpo-a"][0] == "dpo-b"
    assert all(slug not in others for slug, others in related.items())
    assert related["unlearn"] == (), "a paper sharing no distinctive word has no related papers"


def test_related_papers_only_come_from_the_papers_asked_for() -> None:
    vectors = paper_vectors(PAPERS).vectors
    related = related_papers(vectors, ["lora-a", "lora-c", "dpo-a"], count=5)
    assert related["lora-a"] == ("lora-c",) and "lora-b" not in related


def test_related_papers_are_deterministic_on_ties() -> None:
    twins = [paper(s, "Same words here", "identical abstract text") for s in ("c", "a", "b", "d")]
    vectors = paper_vectors(twins).vectors
    assert related_papers(vectors, ["c", "a", "b", "d"], count=2)["d"] == ("a", "b")


def test_a_paper_keeps_its_strongest_shared_terms_ties_to_the_last_term() -> None:
    # More terms than are kept, with a tie across the cut, and one term no other paper has.
    vector = {f"t{n:02}": float(n // 3) for n in range(TERMS_PER_PAPER + 12)} | {"lonely": 99.0}
    shared = set(vector) - {"lonely"}
    kept = _strongest_terms(vector, shared)
    ranked = sorted(shared, key=lambda term: (vector[term], term), reverse=True)[:TERMS_PER_PAPER]
    assert [term for term, _ in kept] == ranked
    norm = sum(vector[term] ** 2 for term in shared) ** 0.5
    assert [weight for _, weight in kept] == [vector[term] / norm for term in ranked]


def assigned(date: dt.date | None) -> AssignedPaper:
    return AssignedPaper(paper(f"p{date}", "t", date=date), (), (), "method", "")


def test_year_counts_keep_undated_papers_apart_and_span_gap_years() -> None:
    row = YearCounts.of(
        "Topic", [assigned(dt.date(2021, 1, 1)), assigned(dt.date(2024, 5, 1)), assigned(None)]
    )
    assert row.by_year == Counter({2021: 1, 2024: 1}) and row.undated == 1
    assert year_span([row]) == [2021, 2022, 2023, 2024]
    assert year_span([YearCounts("empty", Counter(), 3)]) == []


def test_the_grid_is_an_accessible_svg_that_spells_out_every_number() -> None:
    rows = [
        YearCounts("Alignment <b>&</b>", Counter({2023: 4, 2024: 9}), 2),
        YearCounts("Reasoning", Counter({2024: 1}), 0),
    ]
    svg = str(topic_year_grid(rows, "grid", "Papers per year"))
    assert (
        svg.startswith('<svg class="chart" id="grid" role="img"') and 'aria-labelledby="grid-t grid-d"' in svg
    )
    assert '<title id="grid-t">Papers per year</title>' in svg
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", svg).group(1)
    assert "Alignment &lt;b&gt;&amp;&lt;/b&gt; — 2023: 4, 2024: 9, no date: 2" in desc
    assert "Reasoning — 2023: 0, 2024: 1" in desc
    assert "<b>" not in svg, "labels are text, never markup"
    numbers = re.findall(r'<text class="num[^"]*"[^>]*>(\d+)</text>', svg)
    assert sorted(map(int, numbers)) == sorted([4, 9, 2, 0, 1, 0])
    assert 'class="cell l4"' in svg and 'class="cell l0"' in svg


def test_bars_scale_to_the_busiest_year_and_label_each_bar() -> None:
    row = YearCounts("PEFT", Counter({2022: 2, 2024: 8}), 5)
    svg = str(year_bars(row, [2022, 2023, 2024], "bars", "PEFT per year"))
    heights = [int(h) for h in re.findall(r'<rect class="bar"[^>]*height="(\d+)"', svg)]
    assert heights == [28, 0, 110]
    assert re.findall(r'<text class="axis"[^>]*>(\d+)</text>', svg) == ["2022", "2023", "2024"]
    assert "PEFT — 2022: 2, 2023: 0, 2024: 8, no date: 5" in svg
