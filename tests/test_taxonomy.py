"""Taxonomy validation: every mistake reported with file and line, in the editor's words."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sitegen.classify.taxonomy import load_taxonomy
from sitegen.errors import SitegenError

from .conftest import ROOT, TOP_LEVEL


def errors_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(SitegenError) as info:
        load_taxonomy(path)
    return [str(p).removeprefix(f"{path}:").lstrip() for p in info.value.problems]


def test_default_taxonomy_has_the_survey_outline() -> None:
    taxonomy = load_taxonomy(ROOT / "content" / "taxonomy.yaml")
    assert [t.id for t in taxonomy.topics] == TOP_LEVEL
    ids = [t.id for t in taxonomy.walk()]
    assert len(ids) == len(set(ids))
    assert all(t.title and t.description for t in taxonomy.walk())
    assert "preference-alignment/direct-preference" in ids


def test_subtopic_ids_are_parent_slash_child(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("topics:\n  - id: a\n    title: A\n    children:\n      - id: b\n        title: B\n")
    taxonomy = load_taxonomy(path)
    (child,) = taxonomy.topics[0].children
    assert (child.id, child.parent) == ("a/b", "a")


def test_unknown_keys_suggest_the_closest(tmp_path: Path) -> None:
    assert errors_of(
        tmp_path,
        """\
        topics:
          - id: a
            titel: A
            rules:
              - phrase: [x]
                weight: 2
        """,
    ) == [
        "2: topic 'a' has an empty title — give it a title: …",
        "3: unknown key 'titel' in a topic — did you mean 'title'?",
        "5: unknown key 'phrase' in a rule of topic 'a' — did you mean 'phrases'?",
        "5: a rule of topic 'a' has neither 'phrases' nor 'pattern' — give it one of them",
    ]


def test_duplicate_ids_and_empty_titles(tmp_path: Path) -> None:
    assert errors_of(
        tmp_path,
        """\
        topics:
          - id: a
            title: A
          - id: a
            title: "  "
        """,
    ) == [
        "4: duplicate topic id 'a' (first at line 2) — give each topic its own id",
        "5: topic 'a' has an empty title — give it a title: …",
    ]


def test_bad_rules_are_named_precisely(tmp_path: Path) -> None:
    assert errors_of(
        tmp_path,
        """\
        topics:
          - id: Bad_Id
            title: A
            rules:
              - pattern: "([unclosed"
              - phrases: [x]
                in: titles
                weight: lots
        """,
    ) == [
        "2: topic id 'Bad_Id' is not valid — "
        "use lowercase letters, digits and hyphens, e.g. id: preference-alignment",
        "5: invalid pattern in topic 'Bad_Id': unterminated character set at position 1 — "
        "fix the regular expression",
        "7: 'in: titles' in topic 'Bad_Id' — use one of: title, abstract, both",
        "8: 'weight' of a rule of topic 'Bad_Id' must be a number — e.g. weight: 1.0",
    ]


def test_empty_taxonomy_is_an_error(tmp_path: Path) -> None:
    assert errors_of(tmp_path, "# nothing yet\n") == [
        "the taxonomy has no topics — add a 'topics:' list, each with an id and a title (see the README)"
    ]


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    (message,) = errors_of(tmp_path, "topics:\n  - id: a\n    title: [A\n  - id: b\n")
    assert message.startswith("4: YAML syntax error")


def test_duplicate_yaml_keys_are_errors(tmp_path: Path) -> None:
    assert errors_of(tmp_path, "topics:\n  - id: a\n    title: A\n    title: B\n") == [
        "4: duplicate key 'title' (first at line 3) — keep one of them"
    ]


def test_unknown_kind(tmp_path: Path) -> None:
    assert errors_of(
        tmp_path,
        """\
        kinds:
          rules:
            - kind: tutorial
              phrases: [tutorial]
        topics:
          - id: a
            title: A
        """,
    ) == ["3: unknown kind 'tutorial' — use one of: method, benchmark, survey, analysis, toolkit"]


def test_a_topics_own_secondary_ratio_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.yaml"
    path.write_text("topics:\n  - id: a\n    title: A\n    secondary_ratio: 0.3\n  - id: b\n    title: B\n")
    assert [t.secondary_ratio for t in load_taxonomy(path).topics] == [0.3, None]
    assert errors_of(tmp_path, "topics:\n  - id: a\n    title: A\n    secondary_ratio: 3\n") == [
        "4: 'secondary_ratio' of topic 'a' must be between 0 and 1 — e.g. secondary_ratio: 0.3"
    ]
    assert errors_of(tmp_path, "topics:\n  - id: a\n    title: A\n    secondary_ratio: half\n") == [
        "4: 'secondary_ratio' of topic 'a' must be a number — e.g. secondary_ratio: 0.5"
    ]


def test_settings_that_cannot_mean_what_they_say_are_errors(tmp_path: Path) -> None:
    """A share above 1, a negative threshold or no topics at all would otherwise build a site in
    which the editor's setting silently means something else."""
    path = tmp_path / "taxonomy.yaml"
    path.write_text(
        "settings:\n  secondary_ratio: 0.4\n  precedence_ratio: 1\n  max_topics: 2\n"
        "topics:\n  - id: a\n    title: A\n"
    )
    settings = load_taxonomy(path).settings
    assert (settings.secondary_ratio, settings.precedence_ratio, settings.max_topics) == (0.4, 1.0, 2)
    bad = """\
        settings:
          threshold: -1
          secondary_ratio: 5
          max_topics: 0
          similarity_weight: -30
          precedence_ratio: 60
        kinds:
          threshold: -2
        topics:
          - id: a
            title: A
        """
    assert errors_of(tmp_path, bad) == [
        "2: 'threshold' of settings must be at least 0 — e.g. threshold: 4",
        "3: 'secondary_ratio' of settings must be between 0 and 1 — e.g. secondary_ratio: 0.3",
        "4: 'max_topics' of settings must be at least 1 — e.g. max_topics: 3",
        "5: 'similarity_weight' of settings must be at least 0 — e.g. similarity_weight: 0",
        "6: 'precedence_ratio' of settings must be between 0 and 1 — e.g. precedence_ratio: 0.3",
        "8: 'threshold' of kinds must be at least 0 — e.g. threshold: 3",
    ]
    assert errors_of(tmp_path, "settings:\n  max_topics: 2.5\ntopics:\n  - id: a\n    title: A\n") == [
        "2: 'max_topics' of settings must be a whole number — e.g. max_topics: 3"
    ]


def test_kind_thresholds_are_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.yaml"
    path.write_text("kinds:\n  threshold: 3\n  uncontested_threshold: 2\ntopics:\n  - id: a\n    title: A\n")
    settings = load_taxonomy(path).settings
    assert (settings.kind_threshold, settings.kind_uncontested_threshold) == (3.0, 2.0)
    path.write_text("kinds:\n  threshold: 3\ntopics:\n  - id: a\n    title: A\n")
    assert load_taxonomy(path).settings.kind_uncontested_threshold is None  # the threshold applies
    bad = "kinds:\n  uncontested_threshold: low\ntopics:\n  - id: a\n    title: A\n"
    assert errors_of(tmp_path, bad) == [
        "2: 'uncontested_threshold' of kinds must be a number — e.g. uncontested_threshold: 3.0"
    ]
