"""Search beyond Lunr's reach: a Pagefind index made at build time with Pagefind's Python API.

A Lunr index holds every word of every paper and the browser must fetch and parse all of it
before the first answer (28 MB at 10,000 papers). Pagefind splits its index into chunks and a
query fetches only the chunks and result fragments it needs. Each published paper becomes one
small HTML record: the title as the heading (Pagefind weights headings, as the Lunr index boosts
titles), the abstract, and the fields the search page shows and filters on.
"""

from __future__ import annotations

import hashlib
import html
import json
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import SitegenError
from .models import AssignedPaper, newest_first

FOLDER = "pagefind"
# Pagefind's ready-made search interfaces: the search page has its own, so they are not shipped.
_UNUSED = ("pagefind-ui", "pagefind-modular-ui", "pagefind-component-ui", "pagefind-highlight")


def record_html(paper: AssignedPaper, url: str, language: str) -> str:
    """One paper as Pagefind reads it; every text is escaped, so a title can never become markup.

    The abstract is not kept again as metadata: the search page takes it from the record's own
    text, which holds the title and the abstract — a copy would double each result's download
    and, at 10,000 papers, add 0.5 GB and a third to Pagefind's indexing (1.17 → 1.69 GB)."""
    p = paper.paper
    meta = {
        "url": url,
        "date": p.date.isoformat() if p.date else "",
        "kind": paper.kind,
        "upvotes": "" if p.upvotes is None else str(p.upvotes),
    }
    filters = [("kind", paper.kind), ("year", str(p.date.year) if p.date else "none")]
    filters += [("topic", a.topic_id) for a in (*paper.topics, *paper.subtopics)]
    tags = [f'<span data-pagefind-meta="{k}:{html.escape(v)}"></span>' for k, v in meta.items()]
    tags += [f'<span data-pagefind-filter="{k}:{html.escape(v)}"></span>' for k, v in filters]
    tags.append(f'<span data-pagefind-sort="date:{meta["date"] or "0000-00-00"}"></span>')
    return (
        f'<!doctype html><html lang="{html.escape(language)}"><body>'
        f'<h1 data-pagefind-meta="title">{html.escape(p.title)}</h1>'
        f"<p>{html.escape(p.abstract)}</p>"
        f"{''.join(tags)}</body></html>"
    )


def bundle_folders(papers: int, shard: int) -> list[str]:
    """The site folders of a survey's Pagefind indexes: `pagefind/`, then `pagefind-2/`, … one
    per `shard` papers (0: always one). The search page searches them all together."""
    count = 1 if shard == 0 else max(1, -(-papers // shard))
    return [FOLDER] + [f"{FOLDER}-{n}" for n in range(2, count + 1)]


def make_pagefind_bundles(
    papers: Sequence[AssignedPaper],
    paper_url: Callable[[str], str],
    language: str,
    scratch: Path,
    shard: int,
    records: Path | None = None,
) -> dict[str, Path]:
    """Write the survey's Pagefind bundles into `scratch`; return them by site folder, for the
    output step to move into the site (thousands of small files, never read back). The records
    Pagefind reads are written into `records` (default: inside `scratch`).

    Pagefind holds everything it indexes in memory (~1.2 GB per 10,000 papers), so a large survey
    is indexed `shard` papers at a time, newest first: the search page searches every index and
    merges the answers (best first; for a search by filters alone, newest first, which is the
    indexes' own lists read in order).
    """
    ordered = sorted(papers, key=newest_first)
    folders = bundle_folders(len(ordered), shard)
    size = shard if len(folders) > 1 else max(len(ordered), 1)
    return {
        folder: make_pagefind_bundle(
            ordered[n * size : (n + 1) * size],
            paper_url,
            language,
            scratch / folder,
            records / folder if records else None,
        )
        for n, folder in enumerate(folders)
    }


def make_pagefind_bundle(
    papers: Sequence[AssignedPaper],
    paper_url: Callable[[str], str],
    language: str,
    scratch: Path,
    records: Path | None = None,
) -> Path:
    """Write one Pagefind bundle for the papers into `scratch` (its records into `records`,
    default: inside `scratch`); return the bundle's folder.

    The records are written as files, indexed with one `add_directory` and the bundle written to
    disk: the Python API reads one answer per 0.1 s (10,000 records added one by one would take
    17 minutes) and cannot read an answer over 2 MB (`get_files` hangs past a few hundred
    papers). Each record carries its paper's link as meta.
    """
    records, bundle = records or scratch / "records", scratch / FOLDER
    for leftover in (records, bundle):  # a failed attempt in a child process is redone here
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        records.mkdir(parents=True)
        for number, paper in enumerate(papers):
            page = record_html(paper, paper_url(paper.slug), language)
            (records / f"{number}.html").write_text(page, encoding="utf-8")
        # In a thread of its own: the caller may already run an event loop (a test's browser).
        # Imported here: asyncio alone would add ~30 ms to every build's start, Lunr ones too.
        import asyncio
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as thread:
            for attempt in (1, 2):
                thread.submit(lambda: asyncio.run(_index(records, bundle, language))).result()
                if _indexed(bundle) == len(papers):
                    break
                if attempt == 2:
                    raise OSError(f"its index in {bundle} is incomplete twice over")
                shutil.rmtree(bundle, ignore_errors=True)
    except (ImportError, OSError) as exc:
        raise SitegenError.at(
            None,
            None,
            f"Pagefind could not run: {exc}",
            "install it: python -m pip install 'pagefind[bin]' (or set search: {engine: lunr} in site.yaml)",
        ) from None
    for unused in bundle.iterdir():
        if unused.name.startswith(_UNUSED):
            unused.unlink()
    (bundle / "SOURCE.txt").write_bytes(_provenance(bundle))
    shutil.rmtree(records, ignore_errors=True)  # indexed: no longer needed
    return bundle


async def _index(records: Path, bundle: Path, language: str) -> None:
    import asyncio

    from pagefind.index import IndexConfig
    from pagefind.service import PagefindService

    # The service, not `PagefindIndex` as a context manager: that one writes the bundle into
    # ./pagefind on exit, and sitegen writes nothing outside its output folder.
    service = await PagefindService().launch()
    try:
        index = await service.create_index(IndexConfig(force_language=language, write_playground=False))
        await index.add_directory(str(records))
        await index.write_files(str(bundle))
    finally:
        # The service's own close() terminates Pagefind as soon as its last answer arrives, and
        # in about one build in thirty that was before pagefind-entry.json was written (found
        # by flaky tests). Closing its input lets it finish and exit by itself (0 in 60 tries).
        service._poll_task.cancel()
        if service._backend.stdin is not None:
            service._backend.stdin.close()
        try:
            await asyncio.wait_for(service._backend.wait(), timeout=120)
        except TimeoutError:
            service._backend.terminate()
            await service._backend.wait()


def _indexed(bundle: Path) -> int:
    """How many pages a bundle's entry file says it holds (-1 if it is missing or cut short)."""
    try:
        entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
        return sum(language["page_count"] for language in entry["languages"].values())
    except (OSError, ValueError, KeyError, TypeError):
        return -1


def _provenance(bundle: Path) -> bytes:
    """Where the search runtime came from, with checksums: it is third-party code on the site."""
    from importlib.metadata import version

    lines = [
        f"Made by Pagefind {version('pagefind_bin')} (PyPI package pagefind[bin], https://pagefind.app),",
        "unmodified, at build time. MIT licence: assets/vendor/pagefind/LICENSE.",
        "SHA-256 of the search runtime:",
    ]
    for path in sorted(bundle.iterdir()):
        if path.name.endswith((".js", ".pagefind")):
            lines.append(f"  {hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}")
    return ("\n".join(lines) + "\n").encode()
