"""The index built in Python loads in the real lunr.js (Node) and finds papers."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT, require_node

LUNR_DIR = ROOT / "templates" / "static" / "vendor" / "lunr"
LUNR_SHA256 = "9431726f05c0eae2a6e54dc197709422869f25cad44f2430d2fb7ddae80cc717"
SEARCH_SCRIPT = """
const fs = require("fs");
const lunr = require(process.argv[1]);
const index = lunr.Index.load(JSON.parse(fs.readFileSync(process.argv[2], "utf8")));
console.log(JSON.stringify({version: lunr.version, refs: index.search(process.argv[3]).map(r => r.ref)}));
"""


def lunr_js_search(site: Path, query: str) -> dict:
    """lunr.js's version and the slugs of the papers it finds, best first."""
    node = require_node()
    result = subprocess.run(
        [node, "-e", SEARCH_SCRIPT, str(LUNR_DIR / "lunr.js"), str(site / "search-index.json"), query],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found = json.loads(result.stdout)
    docs = json.loads((site / "search-docs.json").read_text(encoding="utf-8"))
    found["refs"] = [docs[int(ref)]["id"] for ref in found["refs"]]
    return found


def test_vendored_lunr_is_unmodified_2_3_9_with_licence() -> None:
    assert hashlib.sha256((LUNR_DIR / "lunr.js").read_bytes()).hexdigest() == LUNR_SHA256
    assert LUNR_SHA256 in (LUNR_DIR / "SOURCE.md").read_text()
    assert "Oliver Nightingale" in (LUNR_DIR / "LICENSE").read_text()


@pytest.mark.node
def test_lunr_js_loads_the_python_index_and_finds_a_paper_by_a_title_word(default_site: Path) -> None:
    papers = json.loads((default_site / "papers.json").read_text(encoding="utf-8"))
    slug = next(p["id"] for p in papers if p["title"].startswith("LoRAMoE"))
    found = lunr_js_search(default_site, "loramoe")
    assert found["version"] == "2.3.9"
    assert found["refs"][0] == slug


@pytest.mark.node
def test_title_matches_rank_above_abstract_matches(default_site: Path) -> None:
    papers = {p["id"]: p for p in json.loads((default_site / "papers.json").read_text(encoding="utf-8"))}
    refs = lunr_js_search(default_site, "unlearning")["refs"]
    assert len(refs) > 20
    top = refs[:10]
    assert all("unlearn" in papers[r]["title"].lower() for r in top)
