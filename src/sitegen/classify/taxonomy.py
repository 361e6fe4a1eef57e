"""Read and validate the taxonomy YAML into a `Taxonomy` tree.

The taxonomy is the editor's main lever, so every mistake is reported at once with its line:
unknown keys (with the closest valid one), duplicate ids, empty titles, bad rules.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import Problem, SitegenError
from ..models import KINDS, AssignSettings, KindRule, Rule, Taxonomy, Topic
from ..yamlio import closest_hint, line_of, load_yaml, unknown_key_problems

TOP_KEYS = ("settings", "kinds", "topics")
TOPIC_KEYS = (
    "id",
    "title",
    "description",
    "rules",
    "exclude",
    "examples",
    "before",
    "secondary_ratio",
    "children",
)
RULE_KEYS = ("phrases", "pattern", "weight", "in")
TOPIC_RULE_KEYS = (*RULE_KEYS, "if_kind")
KIND_RULE_KEYS = ("kind", *RULE_KEYS)
KINDS_KEYS = ("default", "threshold", "uncontested_threshold", "rules")
SETTINGS_KEYS = ("threshold", "secondary_ratio", "max_topics", "similarity_weight", "precedence_ratio")
SCOPES = ("title", "abstract", "both")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class _Reader:
    """Walks the YAML, collecting every problem instead of stopping at the first."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.seen_ids: dict[str, int | None] = {}

    def problem(self, where: Any, key: str | None, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.path, line_of(where, key), message, hint))

    def keys(self, mapping: dict[str, Any], allowed: tuple[str, ...], what: str) -> None:
        self.problems.extend(unknown_key_problems(mapping, allowed, self.path, what))

    def number(self, mapping: dict[str, Any], key: str, default: float, what: str) -> float:
        value = mapping.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(mapping, key, f"'{key}' of {what} must be a number", f"e.g. {key}: {default}")
            return default
        return float(value)

    def ratio(self, mapping: dict[str, Any], key: str, what: str) -> float | None:
        """An optional share between 0 and 1; absent means the settings' own."""
        return self.share(mapping, key, 0.5, what) if key in mapping else None

    def share(self, mapping: dict[str, Any], key: str, default: float, what: str) -> float:
        """A number between 0 and 1: a share of the best score."""
        value = self.number(mapping, key, default, what)
        if not 0 <= value <= 1:
            self.problem(mapping, key, f"'{key}' of {what} must be between 0 and 1", f"e.g. {key}: 0.3")
        return value

    def at_least(self, mapping: dict[str, Any], key: str, default: float, what: str, least: float) -> float:
        """A number no smaller than `least`: a negative threshold or weight, or no topics at all,
        would build a site in which the editor's setting silently means something else."""
        value = self.number(mapping, key, default, what)
        if value < least:
            self.problem(
                mapping, key, f"'{key}' of {what} must be at least {least:g}", f"e.g. {key}: {default:g}"
            )
        return value

    def text_list(self, mapping: dict[str, Any], key: str, what: str) -> tuple[str, ...]:
        value = mapping.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
            self.problem(
                mapping, key, f"'{key}' of {what} must be a list of phrases", f"e.g. {key}: [lora, adapter]"
            )
            return ()
        phrases = tuple(str(v).strip() for v in value)
        if any(not p for p in phrases):
            self.problem(mapping, key, f"'{key}' of {what} has an empty phrase", "remove it")
        return tuple(p for p in phrases if p)

    def rule(self, raw: Any, allowed: tuple[str, ...], what: str) -> Rule | None:
        if not isinstance(raw, dict):
            self.problem(
                raw, None, f"a rule of {what} must be a mapping", "e.g. - phrases: [lora]\n    weight: 3"
            )
            return None
        self.keys(raw, allowed, f"a rule of {what}")
        phrases = self.text_list(raw, "phrases", what)
        pattern = raw.get("pattern")
        if pattern is not None:
            try:
                re.compile(str(pattern))
            except re.error as exc:
                self.problem(
                    raw, "pattern", f"invalid pattern in {what}: {exc}", "fix the regular expression"
                )
                pattern = None
        if_kind = raw.get("if_kind")
        if if_kind is not None and if_kind not in KINDS:
            self.problem(
                raw, "if_kind", f"unknown kind '{if_kind}' in {what}", f"use one of: {', '.join(KINDS)}"
            )
            if_kind = None
        if not phrases and pattern is None and "pattern" not in raw and if_kind is None:
            self.problem(
                raw, None, f"a rule of {what} has neither 'phrases' nor 'pattern'", "give it one of them"
            )
            return None
        scope = raw.get("in", "both")
        if scope not in SCOPES:
            self.problem(raw, "in", f"'in: {scope}' in {what}", f"use one of: {', '.join(SCOPES)}")
            scope = "both"
        weight = self.number(raw, "weight", 1.0, f"a rule of {what}")
        return Rule(
            weight=weight,
            scope=scope,
            phrases=phrases,
            pattern=str(pattern) if pattern is not None else None,
            line=line_of(raw),
            if_kind=if_kind,
        )

    def topic(self, raw: Any, parent: str | None) -> Topic | None:
        if not isinstance(raw, dict):
            self.problem(
                raw, None, "a topic must be a mapping with id and title", "e.g. - id: peft\n  title: PEFT"
            )
            return None
        self.keys(raw, TOPIC_KEYS, "a topic")
        topic_id = self.topic_id(raw, parent)
        what = f"topic '{topic_id}'"
        title = raw.get("title")
        if not isinstance(title, str) or not title.strip():
            self.problem(
                raw, "title" if "title" in raw else None, f"{what} has an empty title", "give it a title: …"
            )
            title = ""
        description = raw.get("description") or ""
        if not isinstance(description, str):
            self.problem(raw, "description", f"the description of {what} must be text", "write Markdown text")
            description = ""
        rules = self.rule_list(raw, what)
        children_raw = raw.get("children") or []
        if not isinstance(children_raw, list):
            self.problem(
                raw, "children", f"'children' of {what} must be a list of topics", "start each with - id:"
            )
            children_raw = []
        children = tuple(t for t in (self.topic(c, topic_id) for c in children_raw) if t)
        return Topic(
            id=topic_id,
            title=title.strip(),
            description=description.strip(),
            rules=rules,
            exclude=self.text_list(raw, "exclude", what),
            children=children,
            parent=parent,
            line=line_of(raw),
            examples=self.text_list(raw, "examples", what),
            examples_line=line_of(raw, "examples"),
            before=self.text_list(raw, "before", what),
            before_line=line_of(raw, "before"),
            secondary_ratio=self.ratio(raw, "secondary_ratio", what),
        )

    def topic_id(self, raw: dict[str, Any], parent: str | None) -> str:
        value = str(raw.get("id") or "").strip()
        if parent and value.startswith(parent + "/"):
            value = value[len(parent) + 1 :]
        if not _ID.match(value):
            self.problem(
                raw,
                "id" if "id" in raw else None,
                f"topic id '{value}' is not valid",
                "use lowercase letters, digits and hyphens, e.g. id: preference-alignment",
            )
        full = f"{parent}/{value}" if parent else value
        line = line_of(raw, "id")
        if full in self.seen_ids:
            self.problem(
                raw,
                "id",
                f"duplicate topic id '{full}' (first at line {self.seen_ids[full]})",
                "give each topic its own id",
            )
        else:
            self.seen_ids[full] = line
        return full

    def rule_list(self, raw: dict[str, Any], what: str) -> tuple[Rule, ...]:
        rules_raw = raw.get("rules") or []
        if not isinstance(rules_raw, list):
            self.problem(raw, "rules", f"'rules' of {what} must be a list", "start each rule with - phrases:")
            return ()
        return tuple(r for r in (self.rule(x, TOPIC_RULE_KEYS, what) for x in rules_raw) if r)

    def kinds(self, raw: Any) -> tuple[tuple[KindRule, ...], dict[str, Any]]:
        """The kind rules, and the kind settings for `AssignSettings` (none given: its defaults)."""
        if raw is None:
            return (), {}
        if not isinstance(raw, dict):
            self.problem(raw, None, "'kinds' must be a mapping", "with default, threshold and rules")
            return (), {}
        self.keys(raw, KINDS_KEYS, "kinds")
        default = raw.get("default", AssignSettings.default_kind)
        if default not in KINDS:
            self.problem(
                raw, "default", f"unknown default kind '{default}'", f"use one of: {', '.join(KINDS)}"
            )
            default = AssignSettings.default_kind
        rules = []
        rules_raw = raw.get("rules") or []
        if not isinstance(rules_raw, list):
            self.problem(raw, "rules", "'rules' of kinds must be a list", "start each rule with - kind:")
            rules_raw = []
        for entry in rules_raw:
            rule = self.rule(entry, KIND_RULE_KEYS, "kinds")
            kind = entry.get("kind") if isinstance(entry, dict) else None
            if kind not in KINDS:
                self.problem(
                    entry,
                    "kind" if isinstance(entry, dict) and "kind" in entry else None,
                    f"unknown kind '{kind}'",
                    f"use one of: {', '.join(KINDS)}",
                )
            elif rule:
                rules.append(KindRule(kind, rule))
        threshold = self.at_least(raw, "threshold", AssignSettings.kind_threshold, "kinds", 0)
        settings = {"default_kind": default, "kind_threshold": threshold}
        if "uncontested_threshold" in raw:
            uncontested = self.at_least(raw, "uncontested_threshold", threshold, "kinds", 0)
            settings["kind_uncontested_threshold"] = uncontested
        return tuple(rules), settings

    def settings(self, raw: Any) -> AssignSettings:
        if raw is None:
            return AssignSettings()
        if not isinstance(raw, dict):
            self.problem(raw, None, "'settings' must be a mapping", f"keys: {', '.join(SETTINGS_KEYS)}")
            return AssignSettings()
        self.keys(raw, SETTINGS_KEYS, "settings")
        base = AssignSettings()
        max_topics = self.at_least(raw, "max_topics", base.max_topics, "settings", 1)
        if max_topics != int(max_topics):
            self.problem(
                raw, "max_topics", "'max_topics' of settings must be a whole number", "e.g. max_topics: 3"
            )
        return AssignSettings(
            threshold=self.at_least(raw, "threshold", base.threshold, "settings", 0),
            secondary_ratio=self.share(raw, "secondary_ratio", base.secondary_ratio, "settings"),
            max_topics=int(max_topics),
            similarity_weight=self.at_least(raw, "similarity_weight", base.similarity_weight, "settings", 0),
            precedence_ratio=self.share(raw, "precedence_ratio", base.precedence_ratio, "settings"),
        )


def load_taxonomy(path: Path, site_root: Path | None = None) -> Taxonomy:
    """Read the taxonomy file; raise one `SitegenError` that lists every problem in it."""
    data = load_yaml(path, site_root, what="taxonomy")
    return build_taxonomy(data, path)


def build_taxonomy(data: Any, path: Path) -> Taxonomy:
    reader = _Reader(path)
    if not isinstance(data, dict) or not data.get("topics"):
        raise SitegenError.at(
            path,
            line_of(data),
            "the taxonomy has no topics",
            "add a 'topics:' list, each with an id and a title (see the README)",
        )
    reader.keys(data, TOP_KEYS, "the taxonomy")
    topics_raw = data["topics"]
    if not isinstance(topics_raw, list):
        raise SitegenError.at(
            path, line_of(data, "topics"), "'topics' must be a list", "start each topic with - id:"
        )
    topics = tuple(t for t in (reader.topic(raw, None) for raw in topics_raw) if t)
    _check_precedence(topics, reader)
    kind_rules, kind_settings = reader.kinds(data.get("kinds"))
    settings = reader.settings(data.get("settings"))
    if reader.problems:  # in the file's order, as an editor fixes them
        raise SitegenError(*sorted(reader.problems, key=lambda p: (p.line is None, p.line or 0)))
    settings = replace(settings, **kind_settings)
    return Taxonomy(path=path, topics=topics, kind_rules=kind_rules, settings=settings)


def _check_precedence(topics: tuple[Topic, ...], reader: _Reader) -> None:
    """`before` may only name sibling topics (top-level with top-level, children of one parent)."""

    def check(siblings: tuple[Topic, ...]) -> None:
        ids = {t.id for t in siblings}
        for topic in siblings:
            for other in topic.before:
                full = f"{topic.parent}/{other}" if topic.parent and "/" not in other else other
                if full not in ids or full == topic.id:
                    reader.problems.append(
                        Problem(
                            reader.path,
                            topic.before_line,
                            f"'before' of topic '{topic.id}' names '{other}', which is not a sibling topic",
                            closest_hint(other, sorted(ids - {topic.id}), "sibling topics"),
                        )
                    )
            check(topic.children)

    check(topics)
