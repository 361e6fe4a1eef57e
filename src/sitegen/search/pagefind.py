"""Search beyond Lunr's reach: a Pagefind index made at build time by Pagefind's own binary.

A Lunr index holds every word of every paper and the browser must fetch and parse all of it
before the first answer (28 MB at 10,000 papers). Pagefind splits its index into chunks and a
query fetches only the chunks and result fragments it needs. Each published paper becomes one
small HTML record: the title as the heading (Pagefind weights headings, as the Lunr index boosts
titles), the abstract, and the fields the search page shows and filters on. Pagefind indexes the
records in a process of its own while sitegen renders the pages.
"""

from __future__ import annotations

import hashlib
import html
import json
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..errors import SitegenError
from ..models import AssignedPaper, newest_first

FOLDER = "pagefind"
# In each index folder: the digest of the records it was made from (`Bundle.digest`). A build
# whose records are unchanged (a template edit, a rule that moves no paper) copies the published
# index instead of waiting for Pagefind again.
STAMP = "records.sha256"
# Pagefind's ready-made search interfaces: the search page has its own, so they are not shipped.
_UNUSED = ("pagefind-ui", "pagefind-modular-ui", "pagefind-component-ui", "pagefind-highlight")


def record_html(paper: AssignedPaper, url: str, language: str) -> str:
    """One paper as Pagefind reads it; every text is escaped, so a title can never become markup.

    The abstract is not kept again as metadata: the search page takes it from the record's text."""
    p = paper.paper
    meta = {
        "url": url,
        "date": p.date.isoformat() if p.date else "",
        "kind": paper.kind,
        "upvotes": "" if p.upvotes is None else str(p.upvotes),
    }
    filters = {"kind": [paper.kind], "year": [str(p.date.year) if p.date else "none"]}
    topics = [a.topic_id for a in (*paper.topics, *paper.subtopics)]
    if topics:
        filters["topic"] = topics
    tags = [f'<span data-pagefind-meta="{k}:{html.escape(v)}"></span>' for k, v in meta.items()]
    tags += [
        f'<span data-pagefind-filter="{k}:{html.escape(v)}"></span>' for k, vs in filters.items() for v in vs
    ]
    tags.append(f'<span data-pagefind-sort="date:{meta["date"] or "0000-00-00"}"></span>')
    return (
        f'<!doctype html><html lang="{html.escape(language)}"><body>'
        f'<h1 data-pagefind-meta="title">{html.escape(p.title)}</h1>'
        f"<p>{html.escape(p.abstract)}</p>{''.join(tags)}</body></html>"
    )


def is_bundle_folder(name: str) -> bool:
    """Whether a top-level folder of the site is (or, for a larger survey, would be) a Pagefind
    index: `pagefind`, `pagefind-2`, … A page there would be replaced by the index."""
    number = name.removeprefix(f"{FOLDER}-")
    return name == FOLDER or (number != name and number.isdigit())


def bundle_folders(papers: int, shard: int) -> list[str]:
    """The site folders of a survey's Pagefind indexes: `pagefind/`, then `pagefind-2/`, … one
    per `shard` papers (0: always one). The search page searches them all together."""
    count = 1 if shard == 0 else max(1, -(-papers // shard))
    return [FOLDER] + [f"{FOLDER}-{n}" for n in range(2, count + 1)]


@dataclass(frozen=True)
class Bundle:
    """One Pagefind index of the site: its folder, its records and their digest."""

    folder: str
    records: tuple[str, ...]
    digest: str


def plan_bundles(
    papers: Sequence[AssignedPaper], paper_url: Callable[[str], str], language: str, shard: int
) -> list[Bundle]:
    """The survey's Pagefind indexes: `shard` papers each, newest first.

    Pagefind holds everything it indexes in memory (~1.2 GB per 10,000 papers), so a large survey
    is indexed `shard` papers at a time, one index after the other: the search page searches
    every index and merges the answers."""
    ordered = sorted(papers, key=newest_first)
    folders = bundle_folders(len(ordered), shard)
    size = shard if len(folders) > 1 else max(len(ordered), 1)
    bundles = []
    for n, folder in enumerate(folders):
        records = tuple(
            record_html(p, paper_url(p.slug), language) for p in ordered[n * size : (n + 1) * size]
        )
        bundles.append(Bundle(folder, records, _digest(records, language)))
    return bundles


def _digest(records: Sequence[str], language: str) -> str:
    """What decides an index's bytes: its records, the language, Pagefind's and sitegen's versions."""
    digest = hashlib.sha256()
    for part in (__version__, pagefind_version(), language, *records):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


class PagefindIndexes:
    """The site's Pagefind indexes, written into `site` (the staging folder): `start` begins
    making them, `finish` waits for them. An index of exactly the same records in `published`
    (the site being replaced) is copied instead of made again."""

    def __init__(self, bundles: Sequence[Bundle], language: str, site: Path, published: Path) -> None:
        self.language, self.site = language, site
        self.copied = [b for b in bundles if _stamp(published / b.folder) == b.digest]
        self.to_make = [b for b in bundles if b not in self.copied]
        self.published = published
        self.running: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Write the first index's records and start Pagefind on them; the others follow in turn
        (one Pagefind at a time: each holds its whole index in memory)."""
        if self.to_make:
            self.running = self._launch(self.to_make[0])

    def finish(self) -> list[str]:
        """Wait for every index; return their folders."""
        for bundle in self.to_make:
            self.running = self.running or self._launch(bundle)
            self._wait(self.running, bundle)
            self.running = None
        for bundle in self.copied:
            shutil.copytree(self.published / bundle.folder, self.site / bundle.folder)
        return [b.folder for b in [*self.to_make, *self.copied]]

    def stop(self) -> None:
        """Stop a Pagefind still running (the build failed or was interrupted)."""
        if self.running is not None and self.running.poll() is None:
            self.running.kill()
            self.running.wait()

    def _records(self, bundle: Bundle) -> Path:
        return self.site / f".records-{bundle.folder}"

    def _launch(self, bundle: Bundle) -> subprocess.Popen[bytes]:
        records = self._records(bundle)
        records.mkdir()
        for number, page in enumerate(bundle.records):
            (records / f"{number}.html").write_text(page, encoding="utf-8")
        command = [
            str(_executable()),
            "--site",
            str(records),
            "--output-path",
            str(self.site / bundle.folder),
        ]
        command += ["--force-language", self.language, "--silent"]
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def _wait(self, process: subprocess.Popen[bytes], bundle: Bundle) -> None:
        said, _ = process.communicate()
        folder = self.site / bundle.folder
        shutil.rmtree(self._records(bundle), ignore_errors=True)
        if process.returncode != 0 or _indexed(folder) != len(bundle.records):
            raise SitegenError.at(
                None,
                None,
                f"Pagefind failed to index the papers: {said.decode(errors='replace').strip()[-500:]}",
                "run the build again; if it keeps failing, set search: {engine: lunr} in site.yaml",
            )
        for unused in folder.iterdir():
            if unused.name.startswith(_UNUSED):
                unused.unlink()
        (folder / "SOURCE.txt").write_bytes(_provenance(folder))
        (folder / STAMP).write_text(f"{bundle.digest}\n", encoding="utf-8")


def _stamp(folder: Path) -> str | None:
    try:
        return (folder / STAMP).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None


def _executable() -> Path:
    try:
        from pagefind_bin import get_executable

        return get_executable()
    except (ImportError, FileNotFoundError):
        raise SitegenError.at(
            None,
            None,
            "Pagefind is not installed",
            "install it: python -m pip install 'pagefind-bin' (or set search: {engine: lunr} in site.yaml)",
        ) from None


def _indexed(bundle: Path) -> int:
    """How many pages an index's entry file says it holds (-1 if it is missing or cut short)."""
    try:
        entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
        return sum(language["page_count"] for language in entry["languages"].values())
    except (OSError, ValueError, KeyError, TypeError):
        return -1


def pagefind_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pagefind_bin")
    except PackageNotFoundError:  # making the index will say what to install
        return ""


def _provenance(bundle: Path) -> bytes:
    """Where the search runtime came from, with checksums: it is third-party code on the site."""
    lines = [
        f"Made by Pagefind {pagefind_version()} (PyPI package pagefind-bin, https://pagefind.app),",
        "unmodified, at build time. MIT licence: assets/vendor/pagefind/LICENSE.",
        "SHA-256 of the search runtime:",
    ]
    for path in sorted(bundle.iterdir()):
        if path.name.endswith((".js", ".pagefind")):
            lines.append(f"  {hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}")
    return ("\n".join(lines) + "\n").encode()
