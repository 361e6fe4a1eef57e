"""`.sitegen-cache/`: reused only while paper text and sitegen's version are unchanged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sitegen import cache as cache_module
from sitegen.config import load_config
from sitegen.pipeline import build

from .conftest import snapshot


def build_project(project: Path) -> tuple[dict[str, bytes], tuple[str, ...]]:
    report = build(load_config(project / "site.yaml"))
    return snapshot(project / "public"), report.cached


def cache_entries(project: Path, name: str = "search-index") -> list[str]:
    return sorted(p.name for p in (project / ".sitegen-cache").glob(f"{name}-*.pickle"))


def test_a_taxonomy_edit_reuses_the_index_and_the_output_is_identical(make_project) -> None:
    project = make_project()
    first, reused = build_project(project)
    assert reused == () and len(cache_entries(project)) == 1
    taxonomy = project / "content" / "taxonomy.yaml"
    taxonomy.write_text(taxonomy.read_text().replace("weight: 3", "weight: 4", 1))
    second, reused = build_project(project)
    assert reused == ("text-statistics", "related", "search-index")
    assert second["search-index.json"] == first["search-index.json"]
    shutil.rmtree(project / ".sitegen-cache")
    cold, reused = build_project(project)
    assert reused == () and cold == second  # what the cache gave is exactly what a cold build makes
    assert (project / ".sitegen-cache" / ".gitignore").read_text() == "*\n"


def test_changed_paper_text_is_never_served_from_the_cache(make_project) -> None:
    project = make_project()
    build_project(project)
    before = cache_entries(project)
    listing = project / "content" / "sources" / "listing.txt"
    listing.write_text(listing.read_text().replace("LoRA is cheap", "LoRA is quasiperiodic"))
    files, reused = build_project(project)
    assert reused == ()  # index and text statistics are both made again
    assert b"quasiperiod" in files["search-index.json"]
    assert cache_entries(project) != before and len(cache_entries(project)) == 1  # the stale entry is gone
    assert len(cache_entries(project, "text-statistics")) == 1


def test_a_new_sitegen_version_or_a_damaged_entry_means_building_afresh(make_project, monkeypatch) -> None:
    project = make_project()
    clean, _ = build_project(project)
    for kept in (project / ".sitegen-cache").glob("*.pickle"):
        kept.write_bytes(kept.read_bytes()[: len(kept.read_bytes()) // 2])
    damaged, reused = build_project(project)
    assert reused == () and damaged == clean
    monkeypatch.setattr(cache_module, "__version__", "999.0")
    _, reused = build_project(project)
    assert reused == ()


def test_an_override_that_changes_what_is_searched_makes_a_new_index(make_project) -> None:
    """The index holds the published papers with the editors' corrections: an override that
    retitles a paper or takes it off the site must not be served a stale index."""
    project = make_project()
    first, _ = build_project(project)
    overrides = project / "content" / "overrides.yaml"
    overrides.write_text("papers:\n  - paper: lora-tricks-for-everyone\n    title: Quasiperiodic adapters\n")
    retitled, reused = build_project(project)
    # Assignment reads the listing's own text (overrides apply after it); search shows the correction.
    assert reused == ("text-statistics", "related") and b"quasiperiod" in retitled["search-index.json"]
    overrides.write_text("papers:\n  - paper: lora-tricks-for-everyone\n    off_topic: true\n")
    removed, reused = build_project(project)
    assert reused == ("text-statistics",)  # the same texts, but other papers to relate and search
    assert len(json.loads(removed["search-docs.json"])) == len(json.loads(first["search-docs.json"])) - 1
    assert len(cache_entries(project)) == 1


def test_an_edited_template_always_shows(make_project) -> None:
    project = make_project()
    build_project(project)
    base = project / "templates" / "base.html"
    base.write_text(base.read_text().replace("</body>", "<!-- edited template --></body>"))
    files, _ = build_project(project)
    assert b"<!-- edited template -->" in files["index.html"]
