"""What each taxonomy lever an editor has does to the assignment figures, tuned and held out.

Usage: python benchmarks/assignment_levers.py

Each lever is one edit to a copy of the default taxonomy (a weight, a share, the similarity's
weight, more example papers, a precedence). For each, the default survey is assigned again and the
table gives the primary-topic accuracy and instruction tuning's precision / recall on the split
the rules were tuned on and on the held-out split, and the held-out topics under the issue's 0.75.
A lever is worth keeping when the tune split supports it; the held-out columns say whether it
carried over (see docs/assignment.md).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from assignment import ROOT, Label, figures, labels_in, predict, top_level_topics

Taxonomy = dict[str, Any]
FOCUS = "instruction-tuning"


def topic(tax: Taxonomy, topic_id: str) -> dict[str, Any]:
    return next(t for t in tax["topics"] if t["id"] == topic_id)


def scale_rules(topic_id: str, phrase: str, field: str, factor: float) -> Callable[[Taxonomy], None]:
    """Multiply the weight of the topic's rules that look for `phrase` in `field`."""

    def edit(tax: Taxonomy) -> None:
        for rule in topic(tax, topic_id)["rules"]:
            if phrase in rule.get("phrases", ()) and rule.get("in") == field:
                rule["weight"] = rule["weight"] * factor

    return edit


def own_share(topic_id: str, share: float) -> Callable[[Taxonomy], None]:
    def edit(tax: Taxonomy) -> None:
        topic(tax, topic_id)["secondary_ratio"] = share

    return edit


def setting(key: str, value: float) -> Callable[[Taxonomy], None]:
    def edit(tax: Taxonomy) -> None:
        tax["settings"][key] = value

    return edit


def tune_examples(per_topic: int) -> Callable[[Taxonomy], None]:
    """Teach every topic by up to `per_topic` more tune-split papers labelled with it first."""

    def edit(tax: Taxonomy) -> None:
        tune: list[Label] = labels_in("tune")
        for t in tax["topics"]:
            have = list(t.get("examples", []))
            more = [lab.slug for lab in tune if lab.topics[:1] == (t["id"],) and lab.slug not in have]
            t["examples"] = have + more[:per_topic]

    return edit


def not_before(topic_id: str, other: str) -> Callable[[Taxonomy], None]:
    def edit(tax: Taxonomy) -> None:
        topic(tax, topic_id)["before"] = [b for b in topic(tax, topic_id).get("before", []) if b != other]

    return edit


LEVERS: list[tuple[str, Callable[[Taxonomy], None] | None]] = [
    ("as committed", None),
    ("instruction words in abstracts ×1.5", scale_rules(FOCUS, "instruction tuning", "abstract", 1.5)),
    ("'SFT' in abstracts ×2", scale_rules(FOCUS, "SFT", "abstract", 2)),
    ("instruction tuning's own share 0.4", own_share(FOCUS, 0.4)),
    ("instruction tuning's own share 0.35", own_share(FOCUS, 0.35)),
    ("instruction tuning's own share 0.3", own_share(FOCUS, 0.3)),
    ("similarity weight 20", setting("similarity_weight", 20)),
    ("similarity weight 40", setting("similarity_weight", 40)),
    ("similarity weight 60", setting("similarity_weight", 60)),
    ("5 more tune examples per topic", tune_examples(5)),
    ("10 more tune examples per topic", tune_examples(10)),
    ("preference alignment not before instruction tuning", not_before("preference-alignment", FOCUS)),
]


def site_with(edit: Callable[[Taxonomy], None] | None, folder: Path) -> Path:
    """A copy of the default survey's settings and content with the taxonomy edited."""
    shutil.copy(ROOT / "site.yaml", folder / "site.yaml")
    shutil.copytree(ROOT / "content", folder / "content", dirs_exist_ok=True)
    if edit:
        taxonomy_path = folder / "content" / "taxonomy.yaml"
        tax = yaml.safe_load(taxonomy_path.read_text(encoding="utf-8"))
        edit(tax)
        taxonomy_path.write_text(yaml.safe_dump(tax, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return folder / "site.yaml"


def main() -> None:
    topics = top_level_topics()
    tune, test = labels_in("tune"), labels_in("test")
    print(
        f"{'lever':52} {'tune: primary':>13} {'IT P/R':>9}   {'test: primary':>13} {'IT P/R':>9}   under 0.75"
    )
    for name, edit in LEVERS:
        with tempfile.TemporaryDirectory() as tmp:
            predictions = predict(site_with(edit, Path(tmp)))
        on_tune, on_test = figures(tune, predictions, topics), figures(test, predictions, topics)
        it_tune, it_test = on_tune.topics[FOCUS], on_test.topics[FOCUS]
        short = ", ".join(t for t, f in on_test.topics.items() if not f.meets_target) or "-"
        print(
            f"{name:52} {on_tune.primary:13.1%} {it_tune.precision:4.2f}/{it_tune.recall:4.2f}"
            f"   {on_test.primary:13.1%} {it_test.precision:4.2f}/{it_test.recall:4.2f}   {short}"
        )


if __name__ == "__main__":
    main()
