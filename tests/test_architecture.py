"""The folders are the architecture: stages never import each other, the CLI or the pipeline.

sitegen/            models, errors, config, yamlio, textfiles, textnorm, markdown, cache:
                    small helpers every stage may use
ingest/ classify/ site/ search/
                    the stages: each imports the helpers and itself, nothing else
pipeline, publish, parallel, progress
                    the build: the order of the stages, publishing, the work shared among cores
editor/             what editors run besides the build (check, explain, review, serve, new)
cli                 the commands; imported by nothing but __main__
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "sitegen"
STAGES = ("ingest", "classify", "site", "search")
HELPERS = ("models", "errors", "config", "yamlio", "textfiles", "textnorm", "markdown", "cache")
BUILD = ("pipeline", "publish", "parallel", "progress")
MAX_LINES = 400


def modules() -> dict[str, Path]:
    """Every module by its dotted name inside the package ("classify.assign", "cli", …)."""
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        found[".".join(p for p in parts if p != "__init__") or "__init__"] = path
    return found


def imported(name: str, path: Path) -> set[str]:
    """The package's own modules or packages that `name` imports, as dotted names."""
    package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            elif node.module and node.module.startswith("sitegen"):
                target = node.module.removeprefix("sitegen").lstrip(".")
            else:
                continue
            for alias in node.names:
                out.add(f"{target}.{alias.name}".strip(".") if not node.module else target)
        elif isinstance(node, ast.Import):
            out |= {a.name.removeprefix("sitegen.") for a in node.names if a.name.startswith("sitegen.")}
    known = set(modules()) | set(STAGES) | {"editor"}
    return {o if o in known else (o.rpartition(".")[0] or "__init__") for o in out if o}


def layer(name: str) -> str:
    top = name.split(".")[0]
    if top in STAGES:
        return top
    if top in HELPERS or top == "__init__" or name == "":
        return "helper"
    return top if top in ("editor", "cli", "__main__") else "build"


ALLOWED = {
    "helper": {"helper"},
    **{stage: {"helper", stage} for stage in STAGES},
    "build": {"helper", "build", *STAGES},
    "editor": {"helper", "build", "editor", *STAGES},
    "cli": {"helper", "build", "editor", "cli", *STAGES},
    "__main__": {"cli"},
}


@pytest.mark.parametrize("name", sorted(modules()))
def test_each_module_imports_only_what_its_layer_may(name: str) -> None:
    path = modules()[name]
    wrong = sorted(i for i in imported(name, path) if layer(i) not in ALLOWED[layer(name)])
    assert not wrong, f"{name} ({layer(name)}) imports {wrong}"


def test_the_layer_check_sees_a_stage_importing_another() -> None:
    assert layer("classify.assign") == "classify" and layer("site.render") == "site"
    assert imported("site.render", SRC / "site" / "render.py") >= {"errors", "models", "site.urls"}
    assert "classify" not in ALLOWED["site"] and "cli" not in ALLOWED["editor"]
    assert layer("parallel") == "build" and "build" not in ALLOWED["classify"]


def test_no_module_is_longer_than_the_rest_of_the_package_can_read() -> None:
    long = {
        name: n for name, path in modules().items() if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"split these (over {MAX_LINES} lines): {long}"
