"""Safe YAML loading that remembers where every mapping and key came from.

Editors make mistakes in YAML; an error is only useful when it says `file:line`. The loader
returns ordinary dicts and lists, but each mapping is a `LineDict` that knows its own line and
the line of each key.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem, SitegenError
from .textfiles import read_text


class LineDict(dict[str, Any]):
    """A dict from YAML that knows the line of the mapping and of each of its keys."""

    line: int = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser is ~10x faster


class _LineLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """SafeLoader whose mappings become `LineDict`s and which rejects duplicate keys."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        line = key_node.start_mark.line + 1
        if key in mapping:
            raise SitegenError.at(
                loader.name,
                line,
                f"duplicate key '{key}' (first at line {mapping.key_lines[key]})",
                "keep one of them",
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = line
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path, site_root: Path | None = None, what: str = "YAML file") -> Any:
    """Parse a YAML file, turning unreadable files and syntax errors into `file:line` messages."""
    return parse_yaml(read_text(path, site_root, what=what), path)


def parse_yaml(text: str, path: Path | str) -> Any:
    try:
        return _load_with_lines(text, path)
    except yaml.reader.ReaderError as exc:  # a character YAML forbids, found before any parsing
        raise SitegenError.at(
            path,
            text[: exc.position].count("\n") + 1,
            f"YAML cannot contain the control character U+{exc.character:04X}",
            "delete it (it is often pasted in invisibly)",
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or exc.context or "invalid YAML"
        raise SitegenError.at(
            path, line, f"YAML syntax error: {what}", "check indentation, colons and quotes"
        ) from None
    except yaml.YAMLError as exc:
        raise SitegenError.at(path, None, f"YAML error: {exc}", "fix the YAML syntax") from None


def _load_with_lines(text: str, path: Path | str) -> Any:
    loader = _LineLoader(text)
    loader.name = str(path)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def line_of(value: Any, key: str | None = None) -> int | None:
    """The line of a mapping (or of one of its keys), when the value came from YAML."""
    if isinstance(value, LineDict):
        return value.line_of(key) if key else value.line
    return None


def unknown_key_problems(
    mapping: dict[str, Any], allowed: Iterable[str], path: Path | str, what: str
) -> list[Problem]:
    """One problem per unknown key, suggesting the closest valid key."""
    allowed = list(allowed)
    return [
        Problem(
            path, line_of(mapping, key), f"unknown key '{key}' in {what}", closest_hint(key, allowed, "keys")
        )
        for key in mapping
        if key not in allowed
    ]


def closest_hint(name: str, choices: Iterable[str], plural: str) -> str:
    """'did you mean …?' for a near miss, else the valid choices (the first dozen)."""
    choices = list(choices)
    close = difflib.get_close_matches(name, choices, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    shown = ", ".join(choices[:12]) + (", …" if len(choices) > 12 else "")
    return f"valid {plural}: {shown}"
