"""How well automatic assignment matches the editors' labels: the default survey's and new papers'.

Usage: python benchmarks/assignment.py [--split test|tune|all] [--errors]
       python benchmarks/assignment.py --fresh [--split test|tune|all] [--errors]

With --fresh, the papers are the 225 new papers of ../shared/fresh/ (listing-2026.txt, labelled in
labels.yaml), added as one more listing to a copy of the default survey. They are split once and
for all by a hash of their title: about a third ("test", 83 papers) is only measured on, never tuned on;
the rest ("tune") may be looked at. Prints the primary-topic accuracy (off-topic is a class: a
paper placed in no topic counts as off-topic), the mean topic-set F1 (each paper's predicted
topics against its labelled ones) and the kind accuracy.

The default survey's labels are the editors' decisions, content/decisions.yaml (topics best first,
kind, off_topic); what is measured is the automatic placement sitegen suggests before them. Papers
are split once and for all by a hash of their slug: a third is held out ("test") from tuning
rules; the rest ("tune") is what rules were tuned on. Prints per-topic precision, recall and F1
over top-level topics, the primary-topic accuracy (an off-topic paper counts as right when it gets
no topic), kind accuracy, and the confusion between primary topics.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from sitegen.classify.assign import Assigner
from sitegen.classify.similarity import paper_vectors
from sitegen.config import load_config
from sitegen.pipeline import BuildReport, load_inputs, load_site
from sitegen.textnorm import title_key

ROOT = Path(__file__).resolve().parent.parent
DECISIONS = ROOT / "content" / "decisions.yaml"
NONE = "(none)"


@dataclass(frozen=True)
class Label:
    slug: str
    topics: tuple[str, ...]
    kind: str
    off_topic: bool

    @property
    def primary(self) -> str:
        return self.topics[0] if self.topics else NONE

    @property
    def split(self) -> str:
        return "test" if _hashed(self.slug) % 3 == 0 else "tune"


def _hashed(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def load_labels(path: Path = DECISIONS) -> list[Label]:
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))["papers"]
    return [
        Label(r["paper"], tuple(r.get("topics") or ()), r["kind"], bool(r.get("off_topic"))) for r in rows
    ]


@dataclass(frozen=True)
class Prediction:
    topics: tuple[str, ...]
    kind: str

    @property
    def primary(self) -> str:
        return self.topics[0] if self.topics else NONE


def predict(config_path: Path) -> dict[str, Prediction]:
    """Each paper's automatic placement: what sitegen suggests before the editors' decision."""
    inputs = load_inputs(load_config(config_path), BuildReport())
    text = paper_vectors(inputs.papers)
    assigner = Assigner(inputs.papers, inputs.taxonomy, inputs.examples, lambda: text)
    return {p.slug: Prediction(tuple((a := assigner.assign(p)).topic_ids), a.kind) for p in inputs.papers}


@dataclass(frozen=True)
class TopicFigures:
    precision: float
    recall: float
    gold: int
    predicted: int

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    @property
    def meets_target(self) -> bool:
        return self.precision >= TARGET_SHARE and self.recall >= TARGET_SHARE


@dataclass(frozen=True)
class Figures:
    """The issue's figures for one set of labels: shares of papers right, and each topic's."""

    papers: int
    primary_right: int
    kind_right: int
    topics: dict[str, TopicFigures]
    confusion: Counter[tuple[str, str]]

    @property
    def primary(self) -> float:
        return self.primary_right / self.papers

    @property
    def kind(self) -> float:
        return self.kind_right / self.papers


TARGET_SHARE = 0.75  # every top-level topic's precision and recall (issue 3)
TARGET_ACCURACY = 0.85  # primary topic and kind


def figures(labels: list[Label], predictions: dict[str, Prediction], topics: list[str]) -> Figures:
    per_topic = {}
    for topic in topics:
        gold = {lab.slug for lab in labels if topic in lab.topics}
        pred = {lab.slug for lab in labels if topic in predictions[lab.slug].topics}
        right = len(gold & pred)
        per_topic[topic] = TopicFigures(
            right / len(pred) if pred else 1.0, right / len(gold) if gold else 1.0, len(gold), len(pred)
        )
    return Figures(
        len(labels),
        sum(predictions[lab.slug].primary == lab.primary for lab in labels),
        sum(predictions[lab.slug].kind == lab.kind for lab in labels),
        per_topic,
        Counter((lab.primary, predictions[lab.slug].primary) for lab in labels),
    )


def report(
    labels: list[Label], predictions: dict[str, Prediction], topics: list[str], show_errors: bool
) -> None:
    fig = figures(labels, predictions, topics)
    print(f"papers: {fig.papers}")
    print(f"primary topic accuracy: {fig.primary:.1%} ({fig.primary_right}/{fig.papers})")
    print(f"kind accuracy:          {fig.kind:.1%} ({fig.kind_right}/{fig.papers})")
    print(f"\n{'topic':22} {'prec':>6} {'recall':>6} {'F1':>6} {'gold':>5} {'pred':>5}")
    for topic, t in fig.topics.items():
        flag = "" if t.meets_target else "  <"
        print(f"{topic:22} {t.precision:6.2f} {t.recall:6.2f} {t.f1:6.2f} {t.gold:5} {t.predicted:5}{flag}")
    print("\nprimary-topic confusion (gold → predicted, off-diagonal only):")
    for (gold, pred), count in sorted(fig.confusion.items(), key=lambda kv: (-kv[1], kv[0])):
        if gold != pred:
            print(f"  {count:3}  {gold} → {pred}")
    if show_errors:
        print("\nerrors:")
        for lab in labels:
            got = predictions[lab.slug]
            if got.primary != lab.primary or set(got.topics) != set(lab.topics) or got.kind != lab.kind:
                gold = f"{list(lab.topics)} {lab.kind}"
                print(f"  {lab.slug[:70]:70} gold {gold} | got {list(got.topics)} {got.kind}")


def labels_in(split: str) -> list[Label]:
    """The labels of one split ("test", "tune") or of all."""
    return [lab for lab in load_labels() if split == "all" or lab.split == split]


def top_level_topics() -> list[str]:
    return sorted({t for lab in load_labels() for t in lab.topics})


FRESH = ROOT.parent / "shared" / "fresh"
OFF_TOPIC = "off-topic"


@dataclass(frozen=True)
class FreshLabel:
    title: str
    topics: tuple[str, ...]  # best first; ("off-topic",) for a paper no topic applies to
    kind: str

    @property
    def key(self) -> str:
        return title_key(self.title)

    @property
    def split(self) -> str:
        return "test" if int(hashlib.sha256(self.key.encode()).hexdigest()[:8], 16) % 3 == 0 else "tune"


def load_fresh_labels(split: str = "all") -> list[FreshLabel]:
    rows = yaml.safe_load((FRESH / "labels.yaml").read_text(encoding="utf-8"))["labels"]
    labels = [FreshLabel(r["title"], tuple(r["topics"]), r["kind"]) for r in rows]
    return [lab for lab in labels if split == "all" or lab.split == split]


def predict_fresh() -> dict[str, Prediction]:
    """Each new paper's automatic placement, by title key, in a copy of the default survey that
    holds them as one more listing."""
    with tempfile.TemporaryDirectory(prefix="sitegen-fresh-") as scratch:
        project = Path(scratch)
        shutil.copy(ROOT / "site.yaml", project / "site.yaml")
        shutil.copytree(ROOT / "content", project / "content")
        shutil.copytree(ROOT / "templates", project / "templates")
        shutil.copy(FRESH / "listing-2026.txt", project / "content" / "sources" / "listing-2026.txt")
        site = load_site(load_config(project / "site.yaml"), BuildReport())
    return {title_key(p.paper.title): Prediction(tuple(p.topic_ids), p.kind) for p in site.papers}


@dataclass(frozen=True)
class FreshFigures:
    papers: int
    primary: float
    topic_f1: float
    kind: float


def fresh_figures(labels: list[FreshLabel], predictions: dict[str, Prediction]) -> FreshFigures:
    def placed(prediction: Prediction) -> tuple[str, ...]:
        return prediction.topics or (OFF_TOPIC,)

    primary = sum(placed(predictions[lab.key])[0] == lab.topics[0] for lab in labels)
    f1 = sum(_set_f1(set(placed(predictions[lab.key])), set(lab.topics)) for lab in labels)
    kind = sum(predictions[lab.key].kind == lab.kind for lab in labels)
    return FreshFigures(len(labels), primary / len(labels), f1 / len(labels), kind / len(labels))


def _set_f1(predicted: set[str], gold: set[str]) -> float:
    right = len(predicted & gold)
    return 2 * right / (len(predicted) + len(gold)) if right else 0.0


def report_fresh(split: str, show_errors: bool) -> None:
    labels = load_fresh_labels(split)
    predictions = predict_fresh()
    fig = fresh_figures(labels, predictions)
    print(f"new papers ({split}): {fig.papers}")
    print(f"primary topic accuracy: {fig.primary:.1%}")
    print(f"topic-set F1 (mean):    {fig.topic_f1:.2f}")
    print(f"kind accuracy:          {fig.kind:.1%}")
    if show_errors:
        for lab in labels:
            got = predictions[lab.key]
            if (got.topics or (OFF_TOPIC,))[0] != lab.topics[0] or got.kind != lab.kind:
                gold = f"{list(lab.topics)} {lab.kind}"
                print(f"  {lab.title[:70]:70} gold {gold} | got {list(got.topics)} {got.kind}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["test", "tune", "all"], default="test")
    parser.add_argument("--config", type=Path, default=ROOT / "site.yaml")
    parser.add_argument("--errors", action="store_true", help="list every paper that differs from its label")
    parser.add_argument("--fresh", action="store_true", help="the new papers of ../shared/fresh/")
    args = parser.parse_args()
    if args.fresh:
        report_fresh(args.split, args.errors)
        return
    labels = labels_in(args.split)
    predictions = predict(args.config)
    missing = [lab.slug for lab in labels if lab.slug not in predictions]
    if missing:
        sys.exit(f"labels name papers the build does not have: {missing[:5]}")
    print(f"split: {args.split}")
    report(labels, predictions, top_level_topics(), args.errors)


if __name__ == "__main__":
    main()
