"""Search beyond Lunr's reach: a Pagefind index made at build time with Pagefind's Python API.

A Lunr index holds every word of every paper and the browser must fetch and parse all of it
before the first answer (28 MB at 10,000 papers). Pagefind splits its index into chunks and a
query fetches only the chunks and result fragments it needs. Each published paper becomes one
small HTML record: the title as the heading (Pagefind weights headings, as the Lunr index boosts
titles), the abstract, and the fields the search page shows and filters on.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import html
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import __version__, interrupts
from .background import Pending, in_background
from .errors import SitegenError
from .models import AssignedPaper, newest_first
from .output import Spare, Staging, linked_copy, scratch_beside, scratch_in_memory, spare_of
from .pagefind_reuse import Loan, RecordFields, lend, lent_files_fit, read_index, remove_unlent

FOLDER = "pagefind"
# In each bundle: the digest of what it was made from (`Bundle.digest`). An unchanged survey
# (a template edit, a rebuild) keeps its index instead of waiting for Pagefind again.
STAMP = "records.sha256"
# Pagefind's ready-made search interfaces: the search page has its own, so they are not shipped.
_UNUSED = ("pagefind-ui", "pagefind-modular-ui", "pagefind-component-ui", "pagefind-highlight")


def record_html(paper: AssignedPaper, url: str, language: str) -> str:
    """One paper as Pagefind reads it; every text is escaped, so a title can never become markup."""
    text, fields = _record(paper, url, language)
    return text + _record_tags(fields)


def _record(paper: AssignedPaper, url: str, language: str) -> tuple[str, RecordFields]:
    """A record's text (its title as the heading, then the abstract) and its fields.

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
    filters = {"kind": [paper.kind], "year": [str(p.date.year) if p.date else "none"]}
    topics = [a.topic_id for a in (*paper.topics, *paper.subtopics)]
    if topics:
        filters["topic"] = topics
    text = (
        f'<!doctype html><html lang="{html.escape(language)}"><body>'
        f'<h1 data-pagefind-meta="title">{html.escape(p.title)}</h1>'
        f"<p>{html.escape(p.abstract)}</p>"
    )
    return text, (meta, filters)


def _record_tags(fields: RecordFields) -> str:
    meta, filters = fields
    tags = [f'<span data-pagefind-meta="{k}:{html.escape(v)}"></span>' for k, v in meta.items()]
    tags += [
        f'<span data-pagefind-filter="{k}:{html.escape(v)}"></span>' for k, vs in filters.items() for v in vs
    ]
    tags.append(f'<span data-pagefind-sort="date:{meta["date"] or "0000-00-00"}"></span>')
    return f"{''.join(tags)}</body></html>"


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
    """One Pagefind index of the site: its folder, the records it is made from, and their digest
    (written into the bundle as `STAMP`, so a later build can tell the same index when it sees it).
    `text_digest` covers the records' texts alone: an index of the same texts can lend its files
    (`pagefind_reuse`), whose `fields` (by record number) are then checked."""

    folder: str
    records: tuple[str, ...]
    digest: str
    text_digest: str
    fields: tuple[RecordFields, ...]


def plan_bundles(
    papers: Sequence[AssignedPaper], paper_url: Callable[[str], str], language: str, shard: int
) -> list[Bundle]:
    """The survey's Pagefind bundles: `shard` papers each, newest first.

    Pagefind holds everything it indexes in memory (~1.2 GB per 10,000 papers), so a large survey
    is indexed `shard` papers at a time: the search page searches every index and merges the
    answers (best first; for a search by filters alone, newest first, which is the indexes' own
    lists read in order)."""
    ordered = sorted(papers, key=newest_first)
    folders = bundle_folders(len(ordered), shard)
    size = shard if len(folders) > 1 else max(len(ordered), 1)
    bundles = []
    for n, folder in enumerate(folders):
        parts = [_record(p, paper_url(p.slug), language) for p in ordered[n * size : (n + 1) * size]]
        records = tuple(text + _record_tags(fields) for text, fields in parts)
        texts = [text for text, _ in parts]
        fields = tuple(fields for _, fields in parts)
        bundles.append(Bundle(folder, records, _digest(records, language), _digest(texts, language), fields))
    return bundles


def _digest(records: Sequence[str], language: str) -> str:
    """What decides a bundle's bytes: its records, the language, Pagefind's and sitegen's versions
    (a new sitegen may ship the bundle differently)."""
    digest = hashlib.sha256()
    for part in (__version__, _pagefind_version(), language, *records):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def holds_bundle(folder: Path, digest: str) -> bool:
    """Whether `folder` is a complete index of exactly the records of `digest` (`Bundle.digest`;
    the stamp is written last, so a bundle cut short has none)."""
    return read_stamp(folder) == digest


def read_stamp(folder: Path) -> str | None:
    """The records' digest in a bundle's stamp (its first line; the texts' digest follows)."""
    lines = _stamp_lines(folder)
    return lines[0] if lines else None


def _stamp_lines(folder: Path) -> list[str]:
    try:
        return (folder / STAMP).read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError):
        return []


def make_pagefind_bundles(
    bundles: Sequence[Bundle],
    language: str,
    scratch: Path,
    records: Path | None = None,
    earlier: Path | None = None,
) -> dict[str, Path]:
    """Write `bundles` into `scratch`; return them by site folder, for the output step to move
    into the site (thousands of small files, never read back). The records Pagefind reads are
    written into `records` (default: inside `scratch`). `earlier` is a site whose indexes of the
    same texts may lend their files (`make_pagefind_bundle`)."""
    return {
        bundle.folder: make_pagefind_bundle(
            bundle,
            language,
            scratch / bundle.folder,
            records / bundle.folder if records else None,
            earlier / bundle.folder if earlier else None,
        )
        for bundle in bundles
    }


def make_pagefind_bundle(
    bundle: Bundle, language: str, scratch: Path, records: Path | None = None, earlier: Path | None = None
) -> Path:
    """Write one Pagefind bundle into `scratch` (its records into `records`, default: inside
    `scratch`); return the bundle's folder.

    The records are written as files, indexed with one `add_directory` and the bundle written to
    disk: the Python API reads one answer per 0.1 s (10,000 records added one by one would take
    17 minutes) and cannot read an answer over 2 MB (`get_files` hangs past a few hundred
    papers). Each record carries its paper's link as meta.

    When `earlier` is a complete index of the same texts (papers moved between topics since),
    its fragments and word chunks are lent first and Pagefind writes only what changed; if what
    the new index refers to does not check out, it is made again from nothing (`pagefind_reuse`).
    """
    records, folder = records or scratch / "records", scratch / FOLDER
    for leftover in (records, folder):  # a failed attempt in a child process is redone here
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        records.mkdir(parents=True)
        for number, page in enumerate(bundle.records):
            (records / f"{number}.html").write_text(page, encoding="utf-8")
        same_texts = earlier is not None and _stamp_lines(earlier)[1:] == [bundle.text_digest]
        loan = lend(earlier, folder) if earlier is not None and same_texts else None
        remade = not _run_pagefind(records, folder, language, len(bundle.records))
        if loan is not None and not remade and not _loan_checks_out(folder, loan, bundle):
            shutil.rmtree(folder)
            _run_pagefind(records, folder, language, len(bundle.records))
    except (ImportError, OSError) as exc:
        raise SitegenError.at(
            None,
            None,
            f"Pagefind could not run: {exc}",
            "install it: python -m pip install 'pagefind[bin]' (or set search: {engine: lunr} in site.yaml)",
        ) from None
    for unused in folder.iterdir():
        if unused.name.startswith(_UNUSED):
            unused.unlink()
    (folder / "SOURCE.txt").write_bytes(_provenance(folder))
    (folder / STAMP).write_text(f"{bundle.digest}\n{bundle.text_digest}\n", encoding="utf-8")
    shutil.rmtree(records, ignore_errors=True)  # indexed: no longer needed
    return folder


class PagefindIndexes:
    """The site's Pagefind indexes, made beside the build: `start` once the published papers'
    topics are known (they are the indexes' filters), `finish` once the pages are written.

    An index an earlier build made from the same records (a template edit, a rebuild with nothing
    changed) is not made again: kept where the spare the new site is written into holds it (no
    cost), else hard-linked from the published site (~0.25 s at 10,000 papers, against 11-15 s
    of Pagefind's CPU)."""

    def __init__(
        self,
        output_dir: Path,
        language: str,
        paper_url: Callable[[str], str],
        shard: int,
        cleanup: contextlib.ExitStack,
        spare: Spare | None = None,
    ) -> None:
        self.output_dir, self.language, self.paper_url, self.shard = output_dir, language, paper_url, shard
        self.cleanup = cleanup  # stops the child and removes the scratch folders, whatever happens
        self.spare = spare  # the spare this build took, if it took one early (else it is looked for)
        self.published: Sequence[AssignedPaper] = ()
        self.job: Pending[tuple[dict[str, str], dict[str, Path]]] | None = None
        self.scratch = Path()

    def start(self, published: Sequence[AssignedPaper]) -> None:
        """A child process plans the indexes and makes those no earlier build left behind (the
        records of 10,000 papers take ~0.3 s to write out and digest: not on this process's way)."""
        self.published = published
        with interrupts.held():  # made and registered for removal at once (see `interrupts`)
            self.scratch = self.cleanup.enter_context(scratch_beside(self.output_dir))
            records = self.cleanup.enter_context(scratch_in_memory(self.scratch))
        # Read here, not in the child: the staging folder may claim the spare before it looks.
        spare = self.spare.path if self.spare is not None else spare_of(self.output_dir)
        earlier = [at for at in (spare, self.output_dir) if at is not None]
        stamps = {
            folder: {read_stamp(at / folder) for at in earlier}
            for folder in bundle_folders(len(published), self.shard)
        }
        self.job = in_background(functools.partial(self._make_missing, stamps, records), self.cleanup)

    def _make_missing(
        self, stamps: dict[str, set[str | None]], records: Path
    ) -> tuple[dict[str, str], dict[str, Path]]:
        """Every index's digest by folder, and the indexes made because no earlier one (`stamps`:
        what the spare and the published site hold, by folder) matched. The published site's
        indexes lend their files to new ones of the same texts (papers moved between topics):
        it stays as it is until this build ends, where the spare may be taken meanwhile."""
        bundles = plan_bundles(self.published, self.paper_url, self.language, self.shard)
        missing = [b for b in bundles if b.digest not in stamps[b.folder]]
        made = make_pagefind_bundles(missing, self.language, self.scratch, records, earlier=self.output_dir)
        return {b.folder: b.digest for b in bundles}, made

    def finish(self, staging: Staging) -> dict[str, Path]:
        """The indexes to move into `staging`; those its spare holds are kept there instead.
        One found earlier but gone meanwhile (another build took the spare) is made here."""
        if self.job is None:
            return {}
        digests, made = self.job.result()
        for folder, digest in digests.items():
            if folder in made:
                continue
            in_spare = staging.holding(folder)
            if in_spare is not None and holds_bundle(in_spare, digest):
                staging.keep(folder)
                continue
            published = self.output_dir / folder
            copy = (
                linked_copy(published, self.scratch / f"{folder}-kept")
                if holds_bundle(published, digest)
                else None
            )
            if copy is None or not holds_bundle(copy, digest):
                plans = plan_bundles(self.published, self.paper_url, self.language, self.shard)
                (bundle,) = [b for b in plans if b.folder == folder]
                copy = make_pagefind_bundle(bundle, self.language, self.scratch / folder)
            made[folder] = copy
        return made


def _loan_checks_out(folder: Path, loan: Loan, bundle: Bundle) -> bool:
    """Whether the files an earlier index lent are all what Pagefind would have written; those
    the new index does not use are then removed."""
    try:
        contents = read_index(folder)
    except ValueError:
        return False
    if not lent_files_fit(folder, contents, loan, bundle.fields):
        return False
    remove_unlent(folder, contents, loan)
    return True


def _run_pagefind(records: Path, folder: Path, language: str, count: int) -> bool:
    """Index `records` into `folder`; False if it had to be made again from nothing (Pagefind
    once lost its entry file when stopped too early: a bundle is checked, and made again once)."""
    # In a thread of its own: the caller may already run an event loop (a test's browser).
    # Imported here: asyncio alone would add ~30 ms to every build's start, Lunr ones too.
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    def indexed() -> bool:
        thread.submit(lambda: asyncio.run(_index(records, folder, language))).result()
        return _indexed(folder) == count

    with ThreadPoolExecutor(1) as thread:
        if indexed():
            return True
        shutil.rmtree(folder, ignore_errors=True)
        if indexed():
            return False
    raise OSError(f"its index in {folder} is incomplete twice over")


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


def _pagefind_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pagefind_bin")
    except PackageNotFoundError:  # making the bundle will say what to install
        return ""


def _provenance(bundle: Path) -> bytes:
    """Where the search runtime came from, with checksums: it is third-party code on the site."""
    lines = [
        f"Made by Pagefind {_pagefind_version()} (PyPI package pagefind[bin], https://pagefind.app),",
        "unmodified, at build time. MIT licence: assets/vendor/pagefind/LICENSE.",
        "SHA-256 of the search runtime:",
    ]
    for path in sorted(bundle.iterdir()):
        if path.name.endswith((".js", ".pagefind")):
            lines.append(f"  {hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}")
    return ("\n".join(lines) + "\n").encode()
