"""Property-based tests: random and mutated listings and YAML end in a result or a clear error.

"Clear error" means a `SitegenError`, whose problems each name a file; anything else (a
KeyError, a TypeError, a hang) is a bug. Runs are derandomized so the suite stays deterministic.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitegen.classify.names import PaperNames
from sitegen.classify.overrides import load_overrides
from sitegen.classify.taxonomy import build_taxonomy, load_taxonomy
from sitegen.config import load_config
from sitegen.errors import SitegenError
from sitegen.ingest.listings import parse_listing
from sitegen.ingest.merge import merge_duplicates
from sitegen.textfiles import read_text
from sitegen.yamlio import parse_yaml

from .conftest import MINIMAL_LISTING, MINIMAL_TAXONOMY, ROOT

FUZZ = settings(
    derandomize=True,
    max_examples=150,
    deadline=timedelta(seconds=5),  # generous for slow machines; a hang still fails
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SEED = (ROOT / "content" / "sources").glob("*.txt")
SEED_LINES = [line for path in sorted(SEED) for line in path.read_text(encoding="utf-8").splitlines()[:120]]
TAXONOMY_TEXT = (ROOT / "content" / "taxonomy.yaml").read_text(encoding="utf-8")
LISTING_PATH = Path("content/sources/fuzz.txt")


def expect_result_or_clear_error(call: Any) -> Any:
    try:
        return call()
    except SitegenError as exc:
        assert exc.problems and all(p.path is not None or p.message for p in exc.problems)
        assert all(str(p) for p in exc.problems)
        return None


@st.composite
def mutated_lines(draw: st.DrawFn, lines: list[str]) -> str:
    """A window of real lines with lines dropped, repeated, swapped, cut or sprinkled with junk."""
    start = draw(st.integers(0, max(0, len(lines) - 40)))
    window = list(lines[start : start + draw(st.integers(0, 40))])
    for _ in range(draw(st.integers(0, 8))):
        if not window:
            break
        i = draw(st.integers(0, len(window) - 1))
        action = draw(st.sampled_from(["drop", "repeat", "swap", "cut", "junk", "blank"]))
        if action == "drop":
            del window[i]
        elif action == "repeat":
            window.insert(i, window[i])
        elif action == "swap":
            j = draw(st.integers(0, len(window) - 1))
            window[i], window[j] = window[j], window[i]
        elif action == "cut":
            window[i] = window[i][: draw(st.integers(0, len(window[i])))]
        elif action == "junk":
            window[i] += draw(st.text(max_size=20))
        else:
            window[i] = ""
    return "\n".join(window)


@FUZZ
@given(st.text(max_size=2000))
def test_any_text_parses_as_a_listing(text: str) -> None:
    listing = parse_listing(text, LISTING_PATH)
    for paper in listing.papers:
        assert paper.title.strip()
    for problem in listing.problems:
        assert problem.path == LISTING_PATH and problem.line is not None


@FUZZ
@given(mutated_lines(SEED_LINES))
def test_mutated_real_listings_parse(text: str) -> None:
    listing = parse_listing(text, LISTING_PATH)
    assert all(p.title.strip() for p in listing.papers)


YAML_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
YAML_VALUES = st.recursive(
    YAML_SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "title",
                    "topics",
                    "rules",
                    "phrases",
                    "weight",
                    "in",
                    "pattern",
                    "children",
                    "kind",
                    "settings",
                    "kinds",
                    "papers",
                    "paper",
                    "x",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@FUZZ
@given(YAML_VALUES)
def test_any_yaml_structure_is_a_taxonomy_or_a_clear_error(data: Any) -> None:
    text = yaml.safe_dump(data)
    expect_result_or_clear_error(
        lambda: build_taxonomy(parse_yaml(text, "taxonomy.yaml"), Path("taxonomy.yaml"))
    )


@FUZZ
@given(mutated_lines(TAXONOMY_TEXT.splitlines()))
def test_mutated_taxonomies_load_or_fail_clearly(text: str) -> None:
    expect_result_or_clear_error(
        lambda: build_taxonomy(parse_yaml(text, "taxonomy.yaml"), Path("taxonomy.yaml"))
    )


@FUZZ
@given(st.text(max_size=300))
def test_any_text_as_yaml_is_data_or_a_clear_error(text: str) -> None:
    expect_result_or_clear_error(lambda: parse_yaml(text, "site.yaml"))


@pytest.fixture(scope="module")
def small_survey() -> tuple[PaperNames, Any]:
    taxonomy = build_taxonomy(parse_yaml(MINIMAL_TAXONOMY, "taxonomy.yaml"), Path("taxonomy.yaml"))
    return PaperNames(merge_duplicates(parse_listing(MINIMAL_LISTING, LISTING_PATH).papers)), taxonomy


@FUZZ
@given(data=YAML_VALUES | st.fixed_dictionaries({"papers": st.lists(YAML_VALUES, max_size=4)}))
def test_any_overrides_file_loads_or_fails_clearly(tmp_path: Path, small_survey, data: Any) -> None:
    path = tmp_path / "overrides.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    names, taxonomy = small_survey
    expect_result_or_clear_error(lambda: load_overrides(path, names, taxonomy))


@FUZZ
@given(
    data=YAML_VALUES
    | st.dictionaries(
        st.sampled_from(["title", "base_url", "latest_count", "listings", "output_dir", "language"]),
        YAML_VALUES,
    )
)
def test_any_site_yaml_loads_or_fails_clearly(tmp_path: Path, data: Any) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    expect_result_or_clear_error(lambda: load_config(path))


@FUZZ
@given(st.binary(max_size=400))
def test_any_bytes_are_text_or_a_clear_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "listing.txt"
    path.write_bytes(data)
    expect_result_or_clear_error(lambda: read_text(path, tmp_path, what="listing", empty_ok=False))


def test_the_default_taxonomy_survives_the_loader_used_by_fuzzing() -> None:
    """The mutation tests start from the real taxonomy, which must itself load."""
    assert load_taxonomy(ROOT / "content" / "taxonomy.yaml").topics


_SPACE_OR_NOT = st.text(
    alphabet=st.sampled_from(
        [chr(c) for c in range(0x3001) if chr(c).isspace()] + list("aé\u200b\x00\ufeff")
    ),
    max_size=20,
)


@FUZZ
@given(st.lists(_SPACE_OR_NOT, max_size=4).map("".join))
def test_cleaned_text_has_single_spaces_and_no_invisible_characters(text: str) -> None:
    """What `clean_text` promises, said as regular expressions: every run of whitespace is one
    space, control and invisible characters read as spaces, nothing at either end."""
    import re
    import unicodedata

    from sitegen.textnorm import clean_text

    visible = re.sub("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\ufeff]", " ", text)
    assert clean_text(text) == re.sub(r"\s+", " ", unicodedata.normalize("NFC", visible)).strip()
