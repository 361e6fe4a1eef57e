"""Shared fixtures: scratch projects written from strings, the default survey built once."""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import subprocess
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from sitegen.config import load_config
from sitegen.pipeline import build

ROOT = Path(__file__).resolve().parent.parent
# The default survey's outline, in order (issue #2).
TOP_LEVEL = [
    "peft",
    "instruction-tuning",
    "preference-alignment",
    "reasoning",
    "continual-learning",
    "unlearning",
    "safety-robustness",
    "merging-composition",
    "agents-tools",
    "domain-adaptation",
    "multimodal",
    "efficiency",
    "understanding",
]

MINIMAL_TAXONOMY = """\
topics:
  - id: peft
    title: Parameter-efficient fine-tuning
    description: LoRA, adapters and friends.
    rules:
      - phrases: [lora, adapter*]
        weight: 3
  - id: alignment
    title: Preference alignment
    description: RLHF and DPO.
    rules:
      - phrases: [rlhf, dpo, preference]
        weight: 3
"""

MINIMAL_LISTING = """\
Get trending papers in your email inbox!

Subscribe

LoRA Tricks for Everyone

We study low-rank adapters. LoRA is great and LoRA is cheap.

DPO Without Tears

Direct preference optimization (DPO) aligns models with preference data.
"""


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes, to compare a site before and after."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """A scratch survey in tmp_path: site.yaml, a taxonomy, a listing and the real templates."""

    def make(files: dict[str, str | bytes] | None = None, templates: bool = True) -> Path:
        project = tmp_path / "project"
        project.mkdir(exist_ok=True)
        defaults: dict[str, str | bytes] = {
            "site.yaml": "title: Test survey\ndescription: A small survey.\nbase_url: /\n",
            "content/taxonomy.yaml": MINIMAL_TAXONOMY,
            "content/sources/listing.txt": MINIMAL_LISTING,
            "content/pages/about.md": "# About\n\nThis is a *test* survey.\n",
        }
        defaults.update(files or {})
        write_files(project, {k: v for k, v in defaults.items() if v is not None})
        if templates and not (project / "templates").exists():
            shutil.copytree(ROOT / "templates", project / "templates")
        return project

    return make


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def default_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's own survey, built once at the root path `/`."""
    out = tmp_path_factory.mktemp("default") / "public"
    build(load_config(ROOT / "site.yaml").with_overrides(output_dir=out))
    return out


@pytest.fixture(scope="session")
def project_path_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same survey built for a GitHub project path, `/survey/`."""
    out = tmp_path_factory.mktemp("project-path") / "public"
    build(load_config(ROOT / "site.yaml").with_overrides(output_dir=out, base_url="/survey/"))
    return out


@pytest.fixture(scope="session")
def papers(default_site: Path) -> list[dict]:
    """The default survey's papers.json, as a reader downloads it."""
    return json.loads((default_site / "papers.json").read_text(encoding="utf-8"))


def require_tool(names: tuple[str, ...], why: str) -> str:
    """The tool's path; skip locally when it is missing, but fail in CI, where it must be installed."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail(f"{names[0]} is required in CI ({why})")
    pytest.skip(f"{names[0]} is not installed — {why} skipped locally")
    raise AssertionError("unreachable")


def require_chromium() -> str:
    return require_tool(("chromium", "chromium-browser"), "browser tests need Debian's chromium")


def require_node() -> str:
    return require_tool(("node",), "lunr.js tests need Node.js")


LOCAL = "http://127.0.0.1:"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
JS_DIR = ROOT / "tests" / "js"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    """A plain static server for a built site, as GitHub Pages would serve it."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def site_url(default_site: Path) -> Iterator[str]:
    with serving(default_site) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, site_url: str) -> Iterator[object]:
    """A fresh tab that records requests to other hosts (workers' too) and console errors."""
    context = browser.new_context()
    page = context.new_page()
    page.external_requests = []  # type: ignore[attr-defined]
    page.console_errors = []  # type: ignore[attr-defined]
    record = page.external_requests.append  # type: ignore[attr-defined]
    # Every test server is local; a request anywhere else is what this fixture exists to catch.
    context.on("request", lambda r: None if r.url.startswith(LOCAL) else record(r.url))
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    yield page
    context.close()


def axe_problems(page, axe_source: str, label: str) -> list[str]:
    """axe-core's serious and critical violations on the page as loaded, named by `label`."""
    page.evaluate(axe_source)  # evaluated by the test, so the page's CSP need not allow it
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{label}: {v['id']} ({v['impact']}) {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core from the npm package pinned in tests/js, installed with `npm ci` on first use."""
    script = JS_DIR / "node_modules" / "axe-core" / "axe.min.js"
    if not script.is_file():
        npm = require_tool(("npm",), "the accessibility tests install axe-core with npm")
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=JS_DIR, check=True, timeout=300
        )
    return script.read_text(encoding="utf-8")
