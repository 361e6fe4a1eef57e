"""Stage 7: publish the rendered files atomically.

Everything is written into a folder beside the output and swapped in only when complete, so a
failed or interrupted build leaves the previous site exactly as it was. On Linux the swap is one
atomic exchange of the two folders (renameat2); elsewhere it is two renames, and a build killed
between them is repaired by the next build before it does anything else.

The site swapped out is kept beside the output as its spare (`.public.spare`), and the next build
writes into it: overwriting files that exist costs a fraction of creating hundreds of folders and
files and deleting the old ones, which was most of a rebuild's writing time.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import secrets
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath

from . import interrupts
from .background import in_background
from .errors import SitegenError

MARKER = ".sitegen-output"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def check_output_dir(output_dir: Path, protected: list[Path]) -> None:
    """Refuse an output folder that would clobber the project or anything sitegen did not make."""
    output_dir = output_dir.resolve()
    home = Path.home().resolve()
    dangerous = {Path("/"), home, *(p.resolve() for p in protected)}
    if output_dir in dangerous or any(p.is_relative_to(output_dir) for p in dangerous if p != Path("/")):
        raise SitegenError.at(
            output_dir,
            None,
            "refusing to use this folder as output: it holds your project or files",
            "set output_dir in site.yaml (or --out) to a folder of its own, e.g. public",
        )
    if output_dir.exists() and not (output_dir / MARKER).exists() and any(output_dir.iterdir()):
        raise SitegenError.at(
            output_dir,
            None,
            "refusing to replace a folder that sitegen did not create",
            "empty it, delete it, or choose another output folder",
        )


def _safe_target(root: Path, relative: str) -> Path:
    parts = PurePosixPath(relative).parts
    if not parts or relative.startswith("/") or any(p in ("..", "") for p in parts):
        raise SitegenError.at(
            None,
            None,
            f"refusing to write outside the output folder: '{relative}'",
            "this is a bug in a template or slug; please report it",
        )
    return root.joinpath(*parts)


def _staging_prefix(output_dir: Path, stage: str) -> str:
    return f".{output_dir.name}.{stage}-"


def spare_of(output_dir: Path) -> Path:
    """Where the previous site is kept for the next build to write into."""
    return output_dir.parent / f".{output_dir.name}.spare"


def recover_interrupted(output_dir: Path, keep: Collection[Path] = ()) -> None:
    """Undo what a killed build left beside the output: restore a swapped-out site, drop temp folders.

    Only folders with sitegen's own prefix and marker are touched; a swapped-out site is put
    back only when the output is missing.
    """
    output_dir = output_dir.resolve()
    parent = output_dir.parent
    if not parent.is_dir():
        return
    for stage in ("old", "new", "scratch"):
        for leftover in sorted(parent.glob(_staging_prefix(output_dir, stage) + "*")):
            if leftover in keep or leftover.is_symlink() or not (leftover / MARKER).is_file():
                continue
            if _owner_alive(leftover.name[len(_staging_prefix(output_dir, stage)) :]):
                continue  # another build at work, not a leftover
            if stage == "old" and not output_dir.exists():
                os.replace(leftover, output_dir)
            else:
                _remove_owned(leftover)


@contextlib.contextmanager
def scratch_beside(output_dir: Path) -> Iterator[Path]:
    """A temporary folder beside the output, on its disk, so what is made there can be moved into
    the site at no cost (`publish(folders=...)`); removed afterwards, and by the next build if this
    one is killed (it is marked as sitegen's own)."""
    output_dir = output_dir.resolve()
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    recover_interrupted(output_dir)
    folder: Path | None = None
    try:
        with interrupts.held():  # Ctrl-C lands before it is made or once it is to be removed
            folder = _temp_folder(output_dir, "scratch")
        _mark(folder)
        yield folder
    finally:
        if folder is not None:
            _remove_owned(folder)


MEMORY_DISK = Path("/dev/shm")  # Linux's file system in memory
_MEMORY_PREFIX = "sitegen-scratch-"


@contextlib.contextmanager
def scratch_in_memory(fallback: Path) -> Iterator[Path]:
    """A temporary folder for files written once and read back once (Pagefind's records), in
    memory where Linux offers it: on the reference disk 10,000 small files take 4.3 s to write,
    0.5 s in memory. Elsewhere (or with under 256 MB free there) a folder inside `fallback`.
    Removed afterwards; one left by a killed build is removed by the next."""
    if _memory_disk_usable():
        for leftover in MEMORY_DISK.glob(_MEMORY_PREFIX + "*"):
            if not leftover.is_symlink() and not _owner_alive(leftover.name[len(_MEMORY_PREFIX) :]):
                shutil.rmtree(leftover, ignore_errors=True)
        where, prefix = MEMORY_DISK, f"{_MEMORY_PREFIX}{os.getpid()}-"
    else:
        where, prefix = fallback, "records-"
    folder: Path | None = None
    try:
        with interrupts.held():
            folder = Path(tempfile.mkdtemp(prefix=prefix, dir=where))
        yield folder
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


MEMORY_NEEDED = 256 * 2**20  # the records of 10,000 papers take ~15 MB; containers often give 64 MB


def _memory_disk_usable() -> bool:
    try:
        free = os.statvfs(MEMORY_DISK)
    except OSError:
        return False
    return free.f_bavail * free.f_frsize >= MEMORY_NEEDED and os.access(MEMORY_DISK, os.W_OK | os.X_OK)


def _temp_folder(output_dir: Path, stage: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=_owned_prefix(output_dir, stage), dir=output_dir.parent))


def _owned_prefix(output_dir: Path, stage: str) -> str:
    """Folder names carry the building process's id, so a build never clears another's work."""
    return f"{_staging_prefix(output_dir, stage)}{os.getpid()}-"


def _owner_alive(suffix: str) -> bool:
    pid, _, _ = suffix.partition("-")
    if not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return True  # this build's own (its staging folder, Pagefind's scratch)
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:  # alive, but another user's
        return True
    return True


def _mark(folder: Path) -> None:
    # The marker goes first, so a killed build's leftovers are recognisably sitegen's own.
    (folder / MARKER).write_text("This folder is written by sitegen build; it is replaced on each build.\n")


def publish(files: Mapping[str, bytes], output_dir: Path, folders: Mapping[str, Path] | None = None) -> None:
    """Write `files` beside `output_dir`, move `folders` (made beside it, by `scratch_beside`) in
    under their relative paths, then swap the whole into place."""
    with contextlib.ExitStack() as cleanup:
        keep = {f.parent.resolve() for f in (folders or {}).values()}
        staging = Staging.entered(cleanup, output_dir, keep)
        for relative, data in files.items():
            staging.write(relative, data)
        staging.commit(folders)


class Staging:
    """The next site, written file by file beside the output and swapped in whole by `commit`.

    It starts as the spare (the site before the current one) when there is a sound one, else as
    a new folder. Without `commit` — an error, Ctrl-C — the output is never touched. Files can be
    written by forked children too (`written` must then be told their paths: `wrote`)."""

    def __init__(self, output_dir: Path, keep: Collection[Path] = (), spare: Spare | None = None) -> None:
        self.output_dir = output_dir.resolve()
        self.output_dir.parent.mkdir(parents=True, exist_ok=True)
        recover_interrupted(self.output_dir, keep)
        spare_folder = spare.claim() if spare is not None else _take_spare(self.output_dir)
        self.folder = spare_folder or _temp_folder(self.output_dir, "new")
        self._from_spare = spare_folder is not None
        self.written: set[str] = set()
        self.kept: set[str] = set()  # folders the spare holds as this site needs them (`keep`)
        self._made = {str(self.folder)}
        self._committed = False

    @classmethod
    def entered(
        cls,
        cleanup: contextlib.ExitStack,
        output_dir: Path,
        keep: Collection[Path] = (),
        spare: Spare | None = None,
    ) -> Staging:
        """A staging folder that `cleanup` is sure to discard: made, entered and registered with
        Ctrl-C and `kill` held back, so one landing in between cannot leave the folder behind.
        (They wait at most as long as the spare's check for links still runs: `Spare.claim`.
        What a killed build left is removed first, while they are not held: that takes seconds
        for a whole site, and stopped half-way it is finished by the next build.)"""
        recover_interrupted(output_dir.resolve(), keep)
        with interrupts.held():
            return cleanup.enter_context(cls(output_dir, keep, spare))

    def __enter__(self) -> Staging:
        try:
            _mark(self.folder)
        except BaseException:
            self._discard()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._committed:
            self._discard()

    def write(self, relative: str, data: bytes) -> None:
        target = str(_safe_target(self.folder, relative))
        folder = os.path.dirname(target)
        if folder not in self._made:  # one mkdir per folder, not one per file
            _make_folder(self.folder, folder)
            self._made.add(folder)
        try:
            present: os.stat_result | None = os.lstat(target)
        except OSError:  # not there yet (a new page), as os.path.isdir would say
            present = None
        if present is not None and stat.S_ISDIR(present.st_mode):
            shutil.rmtree(target)  # the spare had a folder where this site has a file
        elif present is not None and self._from_spare and _holds(target, present, data):
            self.written.add(relative)  # the spare has it already: reading is far cheaper than writing
            return
        elif present is not None and present.st_nlink > 1:
            os.unlink(target)  # shared with the published site (`linked_copy`): never write through
        elif present is not None and stat.S_ISREG(present.st_mode):
            _overwrite(target, data)
            self.written.add(relative)
            return
        with open(target, "wb") as out:
            out.write(data)
        self.written.add(relative)

    def wrote(self, relatives: Iterable[str]) -> None:
        """Count files a forked child wrote into this folder as part of the site."""
        self.written.update(relatives)

    def holding(self, relative: str) -> Path | None:
        """Where the spare this site starts from holds the folder `relative` (None: no spare)."""
        return _safe_target(self.folder, relative) if self._from_spare else None

    def keep(self, relative: str) -> None:
        """Keep the folder `relative` as the spare holds it: it is already what this site needs."""
        self.kept.add(relative)

    def commit(self, folders: Mapping[str, Path] | None = None) -> None:
        """Move `folders` in, drop what the spare held that this site lacks, swap into place."""
        for relative, folder in (folders or {}).items():
            target = _safe_target(self.folder, relative)
            _remove(target)
            os.makedirs(target.parent, exist_ok=True)
            shutil.move(folder, target)  # a rename: both sit beside the output
        _remove_stale(self.folder, self.written, set(folders or {}) | self.kept)
        os.chmod(self.folder, 0o755)
        previous = _swap(self.folder, self.output_dir)
        self._committed = True
        if previous is not None:
            _keep_as_spare(previous, self.output_dir)

    def _discard(self) -> None:
        if self._from_spare:
            _keep_as_spare(self.folder, self.output_dir)  # half written, but fit to write into again
        else:
            _remove_owned(self.folder)  # a first build that failed leaves nothing


def _holds(path: str, present: os.stat_result, data: bytes) -> bool:
    """Whether the file at `path` (`present`: its lstat; a regular file, never a link) holds
    exactly `data`.

    Most pages of a rebuild are the same bytes as in the spare; on the reference disk writing a
    page costs ~0.5 ms, reading and comparing it ~0.03 ms."""
    if not stat.S_ISREG(present.st_mode) or present.st_size != len(data):
        return False
    try:
        with open(path, "rb", buffering=0) as current:
            return current.read() == data
    except OSError:
        return False


def _overwrite(path: str, data: bytes) -> None:
    """Write `data` over the file at `path`, then cut it to length.

    Not `open(path, "wb")`: ext4 starts writing a file emptied by truncation to disk as soon as it
    is closed (its `auto_da_alloc`), ~0.35 ms a page on the reference disk against ~0.02 ms for
    writing over it in place — most of a rebuild's writing when a template changed every page."""
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.ftruncate(fd, len(data))
    finally:
        os.close(fd)


class Spare:
    """The spare, taken for this build at its start, and checked while the build reads and
    assigns: `Staging` claims it once the pages are to be written.

    Taking it is one rename, so that no other build writes into it at the same time. A spare
    holding a symbolic link (put into the published site by something else) is not used: writing
    into it could write through the link, outside the site. Finding out walks every folder of it,
    ~0.2 s at 10,000 papers and 2-3 s when they are not in the disk cache, so a forked child does
    it beside the build (`in_background`). A build that fails before it writes puts the spare back.
    """

    def __init__(self, output_dir: Path, cleanup: contextlib.ExitStack) -> None:
        self.output_dir = output_dir.resolve()
        with interrupts.held():  # taken and registered to be given back at once
            self.path = _rename_spare(self.output_dir)
            cleanup.callback(self._give_back)  # registered first, so it runs after the check stops
        self._holds_link = (
            in_background(functools.partial(_holds_symlink, self.path), cleanup) if self.path else None
        )

    def claim(self) -> Path | None:
        """The spare to write into (it is then the caller's), or None: there was none, or it
        holds a symbolic link (and is removed)."""
        taken, self.path = self.path, None
        if taken is None or self._holds_link is None:
            return None
        return _unless_linked(taken, self._holds_link.result())

    def _give_back(self) -> None:
        if self.path is not None:
            _keep_as_spare(self.path, self.output_dir)
            self.path = None


def _take_spare(output_dir: Path) -> Path | None:
    """The spare, taken and checked at once (see `Spare`)."""
    taken = _rename_spare(output_dir)
    return _unless_linked(taken, _holds_symlink(taken)) if taken is not None else None


def _unless_linked(taken: Path, holds_link: bool) -> Path | None:
    """The taken spare, or None when it holds a link: then it is removed (links, never what they
    point to)."""
    if holds_link:
        _remove_owned(taken)
        return None
    return taken


def _rename_spare(output_dir: Path) -> Path | None:
    """The spare, renamed so that no other build writes into it at the same time."""
    spare = spare_of(output_dir)
    if spare.is_symlink() or not (spare / MARKER).is_file():
        return None
    taken = output_dir.parent / (_owned_prefix(output_dir, "new") + secrets.token_hex(6))
    try:
        os.rename(spare, taken)
    except OSError:
        return None
    return taken


def _holds_symlink(folder: Path) -> bool:
    """Whether any entry below `folder` is a symbolic link: one `scandir` per folder, with the
    entries' types as it read them (a site of 10,000 papers has 10,000 folders)."""
    folders = [os.fspath(folder)]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_symlink():
                    return True
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.path)
    return False


def linked_copy(folder: Path, target: Path) -> Path | None:
    """A copy of `folder` (in the published site) at `target` (beside it) made of hard links:
    ~25 µs a file where copying 45 MB of a search index takes 1.5 s. Nothing writes into a file
    of the site in place (`Staging.write` replaces a shared one), so the two never differ.
    None when `folder` holds a symbolic link (it could point anywhere) or cannot be read."""
    try:
        if folder.is_symlink() or _holds_symlink(folder):
            return None
        shutil.copytree(folder, target, copy_function=_link_or_copy)
    except OSError:
        shutil.rmtree(target, ignore_errors=True)
        return None
    return target


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # a file system without hard links
        shutil.copy2(source, target)


def count_files(folder: Path) -> int:
    """The files below `folder` (as `os.walk` sees them: no `stat` per file)."""
    return sum(len(files) for _, _, files in os.walk(folder))


def _keep_as_spare(folder: Path, output_dir: Path) -> None:
    try:
        os.rename(folder, spare_of(output_dir))
    except OSError:  # another build kept its spare first, or the folder is gone
        _remove_owned(folder)


def _remove_owned(folder: Path) -> None:
    """Remove a folder sitegen made and marked, the marker last. Removing a site takes seconds;
    one stopped half-way (Ctrl-C, `kill`) is still marked, and the next build finishes it
    (`recover_interrupted`), where an unmarked remnant would be left beside the output for good:
    sitegen never removes what it cannot tell is its own."""
    if folder.is_symlink():  # never what a link points to
        folder.unlink()
        return
    try:
        entries = list(os.scandir(folder))
    except OSError:  # gone already
        return
    for entry in entries:
        if entry.name == MARKER:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
    with interrupts.held():  # the marker and the folder go together
        shutil.rmtree(folder, ignore_errors=True)


def _make_folder(root: Path, folder: str) -> None:
    try:
        os.makedirs(folder, exist_ok=True)
    except (FileExistsError, NotADirectoryError):  # the spare had a file where this site has a folder
        relative = Path(folder).relative_to(root)
        for here in [*(root / p for p in reversed(relative.parents)), root / relative]:
            if here.exists() and not here.is_dir():
                here.unlink()
        os.makedirs(folder, exist_ok=True)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _remove_stale(root: Path, written: set[str], moved: set[str]) -> None:
    """Delete what the spare held that is not part of this site (and no empty folders remain)."""
    needed = {MARKER, *written}
    folders: set[str] = set()  # every moved folder and every folder above one or a written file
    for folder in [*(w.rpartition("/")[0] for w in written), *moved]:
        while folder and folder not in folders:  # (by string: PurePosixPath is slow at this count)
            folders.add(folder)
            folder = folder.rpartition("/")[0]
    for here, dirs, names in os.walk(root):
        relative = os.path.relpath(here, root).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        for name in dirs[:]:
            path = prefix + name
            if path in moved:
                dirs.remove(name)  # moved in whole: nothing in it is stale
            elif path not in folders:
                dirs.remove(name)
                _remove(Path(here) / name)
        for name in names:
            if prefix + name not in needed:
                os.unlink(os.path.join(here, name))


def _swap(staging: Path, output_dir: Path) -> Path | None:
    """Put `staging` at `output_dir`; returns where the previous site now is (None if none)."""
    if not output_dir.exists():
        os.replace(staging, output_dir)
        return None
    if _exchange(staging, output_dir):
        return staging
    old = _temp_folder(output_dir, "old")
    old.rmdir()
    os.replace(output_dir, old)
    try:
        os.replace(staging, output_dir)
    except BaseException:
        os.replace(old, output_dir)
        raise
    return old


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two folders with Linux's renameat2(RENAME_EXCHANGE); False if unavailable."""
    renameat2 = _libc_renameat2()
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


@functools.cache
def _libc_renameat2() -> Callable[..., int] | None:
    if sys.platform != "linux":
        return None
    try:
        renameat2 = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).renameat2
    except (OSError, AttributeError):  # no libc, or a libc older than glibc 2.28
        return None
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    return renameat2
