"""The benchmark harness's synthetic surveys: deterministic, realistic, and buildable as they are."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

from sitegen.config import load_config
from sitegen.pipeline import build

from .conftest import ROOT


def synthetic() -> ModuleType:
    spec = importlib.util.spec_from_file_location("synthetic", ROOT / "benchmarks" / "synthetic.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_synthetic_papers_are_deterministic_unique_and_not_real_titles() -> None:
    gen = synthetic()
    first, again, other = (
        gen.synthetic_papers(200, seed=7),
        gen.synthetic_papers(200, seed=7),
        gen.synthetic_papers(200, seed=8),
    )
    assert first == again and first != other
    titles = [entry.split("\n", 1)[0] for entry in first]
    real, _ = gen.source_material()
    assert len({t.lower() for t in titles}) == 200 and not {t.lower() for t in titles} & {
        t.lower() for t in real
    }
    assert all("authors\n·\n" in entry for entry in first)


def test_a_synthetic_survey_builds_with_exactly_the_papers_asked_for(tmp_path: Path) -> None:
    project = synthetic().write_survey(480, tmp_path / "survey")
    report = build(load_config(project / "site.yaml"))
    papers = json.loads((project / "public" / "papers.json").read_text(encoding="utf-8"))
    assert len(papers) == report.counts["papers"] == 480
    dated = [p for p in papers if p["date"]]
    assert len(dated) > 100 and min(p["date"] for p in dated) >= "2021" and any(p["upvotes"] for p in papers)
