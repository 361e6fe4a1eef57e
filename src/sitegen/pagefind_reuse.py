"""An earlier Pagefind index's files lent to the next index of the same texts.

Pagefind names each result fragment and word chunk after its content (the language, then the
first 7 hex digits of a hash of it) and does not write a file whose name is already there. An
editor who moves papers between topics changes only their filters: the texts are the same, so
nearly every fragment and every word chunk of the published index would come out the same. Hard-
linked into the new index's folder first, they are not compressed and written again; Pagefind
writes the moved papers' fragments, the filters and the metadata (Pagefind on 10,000 records:
15-28 s → 6-8 s wall; what it saves is creating 10,000 files and gzip at its best level).

Seven hex digits can be shared by two contents. Pagefind lengthens a name on a clash within one
index, but a lent file already holding the name would then be taken for the other content. So
what the new index refers to is read back and checked against what was asked for
(`lent_files_fit`); the caller makes the index again from nothing when anything is off.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# What the search page reads of a record besides its text: its metadata and its filters.
RecordFields = tuple[dict[str, str], dict[str, list[str]]]

_FRAGMENTS, _CHUNKS = ("fragment", ".pf_fragment"), ("index", ".pf_index")  # folder, file suffix
_SHORT_NAME = 7  # hex digits of a name Pagefind did not lengthen for a clash
_MARK = b"pagefind_dcd"  # before the content of every compressed Pagefind file


@dataclass(frozen=True)
class IndexContents:
    """What a Pagefind index refers to: each page's fragment name and word count, in page
    order, and each word chunk as (first word, last word, name)."""

    pages: list[tuple[str, int]]
    chunks: list[tuple[str, str, str]]

    def files(self) -> set[str]:
        return {_path(_FRAGMENTS, name) for name, _ in self.pages} | {
            _path(_CHUNKS, name) for _, _, name in self.chunks
        }


@dataclass(frozen=True)
class Loan:
    """Files of an earlier index hard-linked into a new index's folder (paths relative to it),
    and the earlier index's word chunks."""

    files: frozenset[str]
    chunks: list[tuple[str, str, str]]


def lend(earlier: Path, folder: Path) -> Loan | None:
    """Hard-link the fragments and word chunks of the index in `earlier` into `folder` (None if
    that index cannot be read). A name Pagefind lengthened for a clash is not lent: its clash
    may resolve the other way round next time. Nothing that is not a plain file is followed."""
    try:
        chunks = read_index(earlier).chunks
    except ValueError:
        return None
    lent = set()
    for kind, suffix in (_FRAGMENTS, _CHUNKS):
        try:
            entries = [e for e in os.scandir(earlier / kind) if e.is_file(follow_symlinks=False)]
            (folder / kind).mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        for entry in entries:
            if not entry.name.endswith(suffix) or _lengthened(entry.name.removesuffix(suffix)):
                continue
            try:
                os.link(entry.path, folder / kind / entry.name)
            except OSError:  # another file system, or gone meanwhile: Pagefind writes it
                continue
            lent.add(f"{kind}/{entry.name}")
    return Loan(frozenset(lent), chunks)


def read_index(folder: Path) -> IndexContents:
    """The pages and word chunks of the one-language index in `folder` (ValueError if Pagefind
    wrote something this reading does not know)."""
    import cbor2  # here: a Lunr build never reads a Pagefind index (~3 ms to import)

    try:
        entry = json.loads((folder / "pagefind-entry.json").read_bytes())
        (language,) = entry["languages"].values()
        meta = cbor2.loads(read_compressed(folder / f"pagefind.{language['hash']}.pf_meta"))
        pages = [(str(name), int(words)) for name, words in meta[1]]
        chunks = [(str(first), str(last), str(name)) for first, last, name in meta[2]]
    except (OSError, KeyError, TypeError, IndexError, zlib.error, cbor2.CBORDecodeError) as exc:
        raise ValueError(f"not an index sitegen can read: {exc}") from exc
    return IndexContents(pages, chunks)


def read_compressed(path: Path | str) -> bytes:
    with open(path, "rb") as file:
        data = zlib.decompress(file.read(), wbits=31)  # gzip
    if not data.startswith(_MARK):
        raise ValueError(f"{os.path.basename(path)} is not a Pagefind file")
    return data[len(_MARK) :]


def lent_files_fit(folder: Path, contents: IndexContents, loan: Loan, fields: Sequence[RecordFields]) -> bool:
    """Whether every lent file the index in `folder` refers to is what Pagefind would have
    written. The caller lends only when the records' texts are those of the earlier index, so a
    fragment can differ only in its metadata and filters (`fields`, by record number).

    - A fragment name lengthened for a clash whose short form was lent: the short one may now
      hold the other content.
    - A lent fragment must hold its record's current metadata, filters and word count.
    - Lent word chunks must be the earlier index's own, in the same order (the same texts in the
      same order give the same chunks; anything else means they changed)."""
    lent = loan.files
    try:
        for name, words in contents.pages:
            if _lengthened(name) and _path(_FRAGMENTS, _shortened(name)) in lent:
                return False
            fragment = _path(_FRAGMENTS, name)
            if fragment in lent and not _fragment_fits(
                json.loads(read_compressed(f"{folder}/{fragment}")), words, fields
            ):
                return False
        if any(_path(_CHUNKS, name) in lent for _, _, name in contents.chunks):
            return contents.chunks == loan.chunks
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError, zlib.error):
        return False
    return True


def remove_unlent(folder: Path, contents: IndexContents, loan: Loan) -> None:
    """Remove the lent files the index does not refer to (moved papers' old fragments)."""
    for path in loan.files - contents.files():
        (folder / path).unlink(missing_ok=True)


def _fragment_fits(fragment: dict, words: int, fields: Sequence[RecordFields]) -> bool:
    number = int(fragment["url"].removeprefix("/").removesuffix(".html"))  # record files are N.html
    meta, filters = fields[number]
    return (
        fragment["word_count"] == words
        and all(fragment["meta"].get(key, "") == value for key, value in meta.items())
        and {key: sorted(values) for key, values in fragment["filters"].items()}
        == {key: sorted(values) for key, values in filters.items()}
    )


def _path(kind: tuple[str, str], name: str) -> str:
    """A fragment's or word chunk's file (`fragment/en_1a2b3c4.pf_fragment`), relative to its index."""
    folder, suffix = kind
    return f"{folder}/{name}{suffix}"


def _lengthened(name: str) -> bool:
    """Whether a file name (`en_1a2b3c4`) is longer than Pagefind's short names."""
    return len(name.partition("_")[2]) > _SHORT_NAME


def _shortened(name: str) -> str:
    language, _, digits = name.partition("_")
    return f"{language}_{digits[:_SHORT_NAME]}"
