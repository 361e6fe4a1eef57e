"""site.yaml validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.config import load_config
from sitegen.errors import SitegenError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_paths_are_relative_to_site_yaml_and_base_url_ends_with_slash(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "title: T\nbase_url: /survey\noutput_dir: out\n"))
    assert config.base_url == "/survey/"
    assert config.output_dir == tmp_path / "out"
    assert config.sources_dir == tmp_path / "content" / "sources"
    assert config.taxonomy_path == tmp_path / "content" / "taxonomy.yaml"


def test_unknown_key_suggests_the_closest(tmp_path: Path) -> None:
    path = write(tmp_path, "title: T\nbase_ulr: /x/\n")
    with pytest.raises(SitegenError) as info:
        load_config(path)
    assert str(info.value) == f"{path}:2: unknown key 'base_ulr' in site.yaml — did you mean 'base_url'?"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path, "title: ''\nlatest_count: many\nlistings:\n  a.txt: {captured: soon}\ntopic_page_size: -5\n"
    )
    with pytest.raises(SitegenError) as info:
        load_config(path)
    assert [(p.line, p.message) for p in info.value.problems] == [
        (1, "'title' is missing or empty"),
        (2, "'latest_count' must be a whole number ≥ 0"),
        (5, "'topic_page_size' must be a whole number ≥ 0"),
        (4, "'captured' of listing 'a.txt' is not a date"),
    ]


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "title: T\ndescription: [unclosed\nbase_url: /\n")
    with pytest.raises(SitegenError) as info:
        load_config(path)
    (problem,) = info.value.problems
    assert problem.path == path
    assert problem.line == 3
    assert problem.message.startswith("YAML syntax error")


def test_listing_capture_dates(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "title: T\nlistings:\n  a.txt:\n    captured: 2025-12-08\n"))
    assert config.listings["a.txt"].captured.isoformat() == "2025-12-08"


def test_search_engine_switches_to_pagefind_past_the_lunr_limit(tmp_path: Path) -> None:
    default = load_config(write(tmp_path, "title: T\n")).search
    assert default.engine == "auto" and default.lunr_limit == 5000
    assert default.engine_for(5000) == "lunr" and default.engine_for(5001) == "pagefind"
    small = load_config(write(tmp_path, "title: T\nsearch:\n  lunr_limit: 10\n")).search
    assert small.engine_for(10) == "lunr" and small.engine_for(11) == "pagefind"
    forced = load_config(write(tmp_path, "title: T\nsearch: {engine: lunr}\n")).search
    assert forced.engine_for(50_000) == "lunr"
    assert default.pagefind_shard == 10_000
    assert (
        load_config(write(tmp_path, "title: T\nsearch: {pagefind_shard: 500}\n")).search.pagefind_shard == 500
    )


def test_bad_search_settings_name_their_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "title: T\nsearch:\n  engine: elastic\n  lunr_limit: lots\n  size: 3\n  pagefind_shard: -1\n",
    )
    with pytest.raises(SitegenError) as info:
        load_config(path)
    text = str(info.value)
    assert (
        "site.yaml:3" in text and "unknown search engine 'elastic'" in text and "auto, lunr, pagefind" in text
    )
    assert "site.yaml:4" in text and "'lunr_limit' must be a whole number" in text
    assert "site.yaml:5" in text
    assert "site.yaml:6: 'pagefind_shard' must be a whole number" in text
