"""A build cache in `.sitegen-cache/` beside site.yaml, for results that depend only on paper text.

Editors rebuild after every taxonomy tweak; the search index, the text statistics and the
related papers do not change then, and they are among the slowest things a build makes. Each
entry is keyed by a hash of everything it was made from plus sitegen's version, so a changed
input or a new sitegen never reuses a stale entry. An entry that cannot be read back is made
again; the cache is never needed for a correct build.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from . import __version__

CACHE_FOLDER = ".sitegen-cache"
T = TypeVar("T")


class BuildCache:
    """JSON results keyed by a content hash; `BuildCache(None)` keeps nothing."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.hits: list[str] = []

    @classmethod
    def beside(cls, site_root: Path) -> BuildCache:
        return cls(site_root / CACHE_FOLDER)

    def lookup(self, name: str, inputs: Any) -> CacheEntry:
        """The entry for `inputs`: its cached JSON if a valid one is kept, and where to keep a new one."""
        path = self._path(name, inputs, ".json")
        data = _read_valid_json(path) if path else None
        if data is not None:
            self.hits.append(name)
        return CacheEntry(self, name, path, data)

    def remembered(self, name: str, inputs: Any, make: Callable[[], T], slot: str = "") -> T:
        """`make()`'s value, or the one an earlier build kept for the same inputs.

        One value is kept per name and `slot` (e.g. one parsed listing per listing file)."""
        value = self.load(name, inputs, slot)
        if value is None:
            value = make()
            self.keep(name, inputs, value, slot)
        return value  # type: ignore[no-any-return]

    def load(self, name: str, inputs: Any, slot: str = "") -> Any:
        """The value kept for `inputs` by `keep`, or None.

        For in-memory results (text statistics, related papers, topic scores): pickled, which is
        fast for large dicts. The folder is sitegen's own and git-ignored, so it is never shared."""
        path = self._path(name, inputs, ".pickle", slot)
        if path is None:
            return None
        try:
            stamp = file_stamp(path) if _loaded is not None else None
            known = _loaded.get(path) if _loaded is not None else None
            if known is not None and known[0] == stamp:
                value = known[1]  # the preview read this file before and it has not changed
            else:
                value = pickle.loads(path.read_bytes())
                if _loaded is not None and stamp is not None:
                    _loaded[path] = (stamp, value)
        except Exception:  # missing, damaged or from another Python: make it again
            return None
        if name not in self.hits:
            self.hits.append(name)
        return value

    def holds(self, name: str, inputs: Any, slot: str = "") -> bool:
        """Whether a value is kept for `inputs` (it may still prove unreadable to `load`)."""
        path = self._path(name, inputs, ".pickle", slot)
        return path is not None and path.is_file()

    def keep(self, name: str, inputs: Any, value: Any, slot: str = "") -> None:
        path = self._path(name, inputs, ".pickle", slot)
        if path is None or not self._store(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)):
            return
        if _loaded is not None:
            with contextlib.suppress(OSError):
                _loaded[path] = (file_stamp(path), value)

    def _path(self, name: str, inputs: Any, suffix: str, slot: str = "") -> Path | None:
        if self.folder is None:
            return None
        key = content_digest([__version__, name, inputs])
        place = f"{name}-{hashlib.sha256(slot.encode()).hexdigest()[:12]}" if slot else name
        return self.folder / f"{place}-{key[:40]}{suffix}"

    def _store(self, path: Path | None, data: bytes) -> bool:
        """Keep `data` at `path`, replacing the entry kept before for the same name and slot."""
        if path is None:
            return False
        place = path.name[: -len(path.suffix)].rsplit("-", 1)[0]
        try:
            self.folder.mkdir(exist_ok=True)  # type: ignore[union-attr]
            (self.folder / ".gitignore").write_text("*\n")  # type: ignore[operator]
            handle, temp = tempfile.mkstemp(prefix=f".{place}-", dir=self.folder)
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temp, path)
        except OSError:
            return False  # a read-only or full disk only costs the next build some time
        for old in path.parent.glob(f"{place}-{'?' * 40}{path.suffix}"):
            if old != path:
                if _loaded is not None:
                    _loaded.pop(old, None)
                with contextlib.suppress(OSError):
                    old.unlink()
        return True


# Entries already read or written by this process, with their file's stamp, once
# `keep_between_builds` was called: the preview's builder (a process that builds again and again)
# then reads each entry once, not on every rebuild. Off for a one-off `sitegen build`, where it
# would only hold values (a large survey's scores) in memory after their stage is done with them.
# Values are never changed by the stages that load them.
_loaded: dict[Path, tuple[tuple[int, int, int], Any]] | None = None


def keep_between_builds() -> None:
    """Keep entries in memory from now on (for a process that builds many times)."""
    global _loaded
    if _loaded is None:
        _loaded = {}


def file_stamp(path: Path) -> tuple[int, int, int]:
    """What tells a rewritten file from the one read before (it is replaced, never edited)."""
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def content_digest(inputs: Any) -> str:
    """A short stand-in for large inputs used as several entries' keys (the papers' text)."""
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def _read_valid_json(path: Path) -> bytes | None:
    """The entry's bytes if whole. Entries are written to a temporary file and renamed into
    place, so a damaged one is cut short or overwritten; checking its ends is enough, where
    parsing the index (1 MB) would cost a rebuild 60 ms."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    whole = data[:1] in (b"{", b"[") and data.rstrip()[-1:] == (b"}" if data[:1] == b"{" else b"]")
    return data if whole else None


@dataclass
class CacheEntry:
    """One result's place in the cache: `data` when it was there, `store` to keep a new one."""

    cache: BuildCache
    name: str
    path: Path | None
    data: bytes | None

    def store(self, data: bytes) -> None:
        self.data = data
        self.cache._store(self.path, data)
