"""Atomic output: a build that fails, is interrupted or killed leaves the previous site intact."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sitegen import output
from sitegen.errors import SitegenError
from sitegen.output import (
    MARKER,
    Staging,
    check_output_dir,
    linked_copy,
    publish,
    recover_interrupted,
    scratch_beside,
    scratch_in_memory,
    spare_of,
)

from .conftest import ROOT, snapshot, write_files


def leftovers(output_dir: Path) -> list[str]:
    """What sits beside the output but the spare, which is kept on purpose."""
    spare = spare_of(output_dir).name
    return sorted(p.name for p in output_dir.parent.glob(f".{output_dir.name}.*") if p.name != spare)


def with_marker(folder: Path, files: dict[str, bytes]) -> dict[str, bytes]:
    """`files` as sitegen publishes them: with its marker, which says the folder is its own."""
    return {MARKER: (folder / MARKER).read_bytes(), **files}


@pytest.fixture
def full_project(tmp_path: Path) -> Path:
    """A copy of the default survey (430 papers), big enough that writing takes a visible while."""
    project = tmp_path / "survey"
    project.mkdir()
    shutil.copy(ROOT / "site.yaml", project / "site.yaml")
    shutil.copytree(ROOT / "content", project / "content")
    shutil.copytree(ROOT / "templates", project / "templates")
    return project


def run_build(project: Path) -> int:
    return subprocess.run([sys.executable, "-m", "sitegen", "build", "--quiet"], cwd=project).returncode


def start_build(project: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "sitegen", "build", "--quiet"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for_staging(process: subprocess.Popen[bytes], output_dir: Path) -> None:
    """Return as soon as the build has started writing its new site beside the output."""
    deadline = time.monotonic() + 60
    while not list(output_dir.parent.glob(f".{output_dir.name}.new-*/*")):
        if process.poll() is not None:
            pytest.fail(f"the build ended before it started writing: {process.communicate()[1].decode()}")
        assert time.monotonic() < deadline, "the build never started writing"
        time.sleep(0.001)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_a_build_stopped_while_writing_leaves_the_previous_site_byte_for_byte(
    full_project: Path, sig: signal.Signals
) -> None:
    public = full_project / "public"
    assert run_build(full_project) == 0
    before = snapshot(public)
    about = full_project / "content" / "pages" / "about.md"
    about.write_text(about.read_text() + "\nChanged after the first build.\n")

    process = start_build(full_project)
    wait_for_staging(process, public)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)

    assert snapshot(public) == before
    if sig == signal.SIGKILL:
        assert process.returncode == -signal.SIGKILL
        assert any(name.startswith(".public.new-") for name in leftovers(public))
    else:
        assert process.returncode == 130
        assert b"Interrupted; the previous output is unchanged." in stderr
        assert leftovers(public) == []  # cleaned up on the way out

    # The next build clears what a killed build left and publishes the change.
    assert run_build(full_project) == 0
    assert leftovers(public) == []
    assert b"Changed after the first build." in (public / "about" / "index.html").read_bytes()


def _stopped(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # what `sitegen build` makes of a `kill` (cli._interrupt)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_landing_as_the_staging_folder_is_made_still_removes_it(
    make_project, monkeypatch, sig: signal.Signals
) -> None:
    """The gap a CI run once fell into: a signal landing after the staging folder was made and
    marked, before the build's cleanup knew of it, left the folder beside the output. Here it is
    sent at exactly that point; it must wait, then stop the build with nothing left behind."""
    from sitegen.config import load_config
    from sitegen.pipeline import build

    config = load_config(make_project() / "site.yaml")
    build(config)
    before = snapshot(config.output_dir)
    made = []
    real_enter = Staging.__enter__

    def enter_then_stopped(self: Staging) -> Staging:
        entered = real_enter(self)
        made.append(self.folder)
        os.kill(os.getpid(), sig)
        return entered

    monkeypatch.setattr(Staging, "__enter__", enter_then_stopped)
    previous = signal.signal(signal.SIGTERM, _stopped)
    try:
        with pytest.raises(KeyboardInterrupt):
            build(config)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert made and not made[0].exists()
    assert leftovers(config.output_dir) == []
    assert snapshot(config.output_dir) == before


LEFTOVER_FILES = {"index.html": b"x", "a/b.html": b"y", "a/c/d.html": b"z", "e.txt": b"w", "f/g.txt": b"v"}


@pytest.mark.parametrize("stop_after", range(1, len(LEFTOVER_FILES) + 2))  # each file, the marker too
def test_a_removal_stopped_anywhere_is_finished_by_the_next_build(
    tmp_path: Path, monkeypatch, stop_after: int
) -> None:
    """Removing a leftover site takes seconds, and Ctrl-C may land after any file. Once, one
    landed after the marker was gone: the remnant no longer looked like sitegen's own and stayed
    beside the output for good. The marker now goes last, so the next build finishes the job."""
    public = tmp_path / "public"
    publish({"index.html": b"site"}, public)
    leftover = tmp_path / ".public.new-abc123"  # a killed build's (no such process)
    write_files(leftover, {MARKER: "", **LEFTOVER_FILES})
    real_unlink, unlinked = os.unlink, []

    def unlink(path, *args, **kwargs) -> None:
        real_unlink(path, *args, **kwargs)
        unlinked.append(path)
        if len(unlinked) == stop_after:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, between two files

    monkeypatch.setattr(os, "unlink", unlink)
    with pytest.raises(KeyboardInterrupt):
        recover_interrupted(public)
    monkeypatch.setattr(os, "unlink", real_unlink)
    assert not leftover.exists() or (leftover / MARKER).exists(), "left unmarked: never removed"
    recover_interrupted(public)  # the next build
    assert leftovers(public) == []
    assert (public / "index.html").read_bytes() == b"site"


def test_held_signals_arrive_when_the_outermost_block_ends() -> None:
    from sitegen import interrupts

    with pytest.raises(KeyboardInterrupt) as stopped:
        with interrupts.held():
            with interrupts.held():
                os.kill(os.getpid(), signal.SIGINT)
            reached = True  # the inner block ended: still held
        raise AssertionError("never reached: the signal arrives as the block is left")
    assert reached
    assert "held" in [entry.name for entry in stopped.traceback]  # raised as the block was left


def test_a_failing_write_leaves_the_previous_site(tmp_path: Path) -> None:
    public = tmp_path / "public"
    publish({"index.html": b"old"}, public)
    with pytest.raises(SitegenError, match="outside the output folder"):
        publish({"index.html": b"new", "../escape.html": b"x"}, public)
    assert snapshot(public) == with_marker(public, {"index.html": b"old"})
    assert not (tmp_path / "escape.html").exists()
    assert leftovers(public) == []


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_publish_replaces_the_whole_site(tmp_path: Path, monkeypatch, exchange: bool) -> None:
    if not exchange:
        monkeypatch.setattr(output, "_exchange", lambda a, b: False)
    public = tmp_path / "public"
    publish({"index.html": b"one", "gone.html": b"x"}, public)
    publish({"index.html": b"two"}, public)
    assert sorted(snapshot(public)) == [MARKER, "index.html"]
    assert (public / "index.html").read_bytes() == b"two"
    assert leftovers(public) == []


def test_a_build_killed_between_two_renames_is_repaired_by_the_next(tmp_path: Path) -> None:
    """Without renameat2 the swap is two renames; a kill between them leaves only `.public.old-*`."""
    public = tmp_path / "public"
    publish({"index.html": b"old"}, public)
    swapped_out = tmp_path / ".public.old-abc123"
    os.replace(public, swapped_out)
    (tmp_path / ".public.new-def456").mkdir()
    (tmp_path / ".public.new-def456" / MARKER).write_text("")

    recover_interrupted(public)

    assert (public / "index.html").read_bytes() == b"old"
    assert leftovers(public) == []


def test_recovery_never_touches_folders_it_did_not_make(tmp_path: Path) -> None:
    public = tmp_path / "public"
    mine = tmp_path / "notes"
    mine.mkdir()
    (tmp_path / ".public.old-x").mkdir()  # no marker: not a site sitegen wrote
    (tmp_path / ".public.old-x" / "keep.txt").write_text("x")
    recover_interrupted(public)
    assert mine.is_dir()
    assert (tmp_path / ".public.old-x" / "keep.txt").is_file()
    assert not public.exists()  # an unmarked folder is never promoted to the output


@pytest.mark.parametrize(
    "choose",
    [
        lambda project: project,
        lambda project: project / "content",
        lambda project: project / "templates",
        lambda project: Path.home(),
        lambda project: Path("/"),
        lambda project: project.parent,
    ],
    ids=["project root", "content", "templates", "home", "filesystem root", "parent of project"],
)
def test_refuses_folders_that_hold_the_project_or_other_files(make_project, choose) -> None:
    project = make_project()
    protected = [project, project / "content", project / "templates", project / "site.yaml"]
    with pytest.raises(SitegenError, match="refusing"):
        check_output_dir(choose(project), protected)


def test_a_folder_made_beside_the_output_is_moved_in_and_scratch_never_lingers(tmp_path: Path) -> None:
    """Pagefind's thousands of files are made in a scratch folder and moved in, never rewritten."""
    public = tmp_path / "public"
    with scratch_beside(public) as scratch:
        bundle = scratch / "bundle"
        (bundle / "fragment").mkdir(parents=True)
        (bundle / "fragment" / "a.pf_fragment").write_bytes(b"x")
        publish({"index.html": b"<p>home</p>"}, public, {"pagefind": bundle})
    assert (public / "pagefind" / "fragment" / "a.pf_fragment").read_bytes() == b"x"
    assert (public / "index.html").is_file() and leftovers(public) == []

    killed = tmp_path / ".public.scratch-killed"  # what a build killed while indexing leaves
    killed.mkdir()
    (killed / MARKER).write_text("")
    publish({"index.html": b"<p>again</p>"}, public)
    assert leftovers(public) == []


SITES = [
    {"index.html": b"one", "about/index.html": b"a", "papers/x/index.html": b"x", "feed.xml": b"f"},
    # a folder becomes a file, a file becomes a folder, a paper goes, a new one comes
    {"index.html": b"two", "about": b"now a file", "feed.xml/index.html": b"g", "papers/y/index.html": b"y"},
    {"index.html": b"three"},
    {"index.html": b"four", "about/index.html": b"a", "papers/x/index.html": b"x", "deep/a/b/c.txt": b"c"},
]


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_each_build_writes_into_the_spare_and_publishes_exactly_its_own_files(
    tmp_path: Path, monkeypatch, exchange: bool
) -> None:
    if not exchange:
        monkeypatch.setattr(output, "_exchange", lambda a, b: False)
    public = tmp_path / "public"
    for before, site in zip([None, *SITES], SITES, strict=False):
        publish(site, public)
        assert snapshot(public) == with_marker(public, site)
        if before is not None:  # the site swapped out is the spare the next build writes into
            spare = spare_of(public)
            assert snapshot(spare) == with_marker(spare, before)
        assert leftovers(public) == []


def test_a_file_the_spare_holds_already_is_not_written_again(tmp_path: Path) -> None:
    """Most pages of a rebuild are the bytes the spare holds: those are compared, not rewritten
    (same inode and time); a file with other bytes is written over in place, cut to its length."""
    public = tmp_path / "public"
    first = {"same.html": b"same", "other.html": b"aaaa", "longer.html": b"x", "shorter.html": b"long text"}
    publish(first, public)
    publish({"index.html": b"between"}, public)  # the first site is now the spare
    spare = spare_of(public)
    before = {name: os.stat(spare / name) for name in first}
    time.sleep(0.01)  # a rewrite would show in the modification time
    second = {"same.html": b"same", "other.html": b"bbbb", "longer.html": b"xy", "shorter.html": b"short"}
    publish(second, public)
    after = {name: os.stat(public / name) for name in before}
    assert (after["same.html"].st_ino, after["same.html"].st_mtime_ns) == (
        before["same.html"].st_ino,
        before["same.html"].st_mtime_ns,
    )
    assert after["other.html"].st_mtime_ns != before["other.html"].st_mtime_ns
    assert all(after[name].st_ino == before[name].st_ino for name in first), "written in place"
    assert snapshot(public) == with_marker(public, second)


def test_a_failed_build_leaves_the_site_and_a_usable_spare(tmp_path: Path) -> None:
    public = tmp_path / "public"
    publish(SITES[0], public)
    publish(SITES[1], public)
    with pytest.raises(RuntimeError), Staging(public) as staging:
        staging.write("index.html", b"half")
        raise RuntimeError("a template failed")
    assert snapshot(public) == with_marker(public, SITES[1])
    publish(SITES[2], public)  # the half-written spare is made whole
    assert snapshot(public) == with_marker(public, SITES[2])
    assert leftovers(public) == []


def test_a_spare_in_use_is_not_shared(tmp_path: Path) -> None:
    """Two builds at once (an editor's build while `sitegen serve` rebuilds): the first takes the
    spare, the second starts a folder of its own, and neither clears the other's."""
    public = tmp_path / "public"
    publish(SITES[0], public)
    publish(SITES[1], public)
    holds_staging = "import sys; from pathlib import Path; from sitegen.output import Staging\n"
    holds_staging += (
        "with Staging(Path(sys.argv[1])) as s:\n    print(s.folder, flush=True); sys.stdin.read()"
    )
    first = subprocess.Popen(
        [sys.executable, "-c", holds_staging, str(public)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        taken = Path(first.stdout.readline().strip())  # type: ignore[union-attr]
        assert (taken / "index.html").read_bytes() == b"one" and not spare_of(public).exists()
        with Staging(public) as second:
            assert second.folder != taken and not (second.folder / "index.html").exists()
            assert (taken / "index.html").is_file()  # the other build's folder is left alone
    finally:
        first.communicate("")
    assert first.returncode == 0


def test_a_spare_holding_a_link_is_never_written_through(tmp_path: Path) -> None:
    """Something put a symbolic link into the published site: the next build must not follow it."""
    public = tmp_path / "public"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_text("precious")
    publish(SITES[0], public)
    publish(SITES[1], public)  # SITES[0] is now the spare
    spare = spare_of(public)
    (spare / "about" / "index.html").unlink()
    (spare / "about" / "index.html").symlink_to(outside / "victim.txt")
    (spare / "papers" / "x").rename(tmp_path / "moved")
    (spare / "papers" / "x").symlink_to(outside, target_is_directory=True)
    publish(SITES[0], public)
    assert (outside / "victim.txt").read_text() == "precious" and sorted(os.listdir(outside)) == [
        "victim.txt"
    ]
    assert snapshot(public) == with_marker(public, SITES[0])
    assert not (public / "papers" / "x").is_symlink()


def test_a_folder_linked_from_the_published_site_is_never_written_through(tmp_path: Path) -> None:
    """A search index kept from the published site shares its files (hard links); a later build
    writing into the spare replaces such a file instead of changing the published one's bytes."""
    public = tmp_path / "public"
    publish({"index/a.bin": b"index", "index.html": b"home"}, public)
    copy = linked_copy(public / "index", tmp_path / "copy")
    assert copy is not None and (copy / "a.bin").stat().st_ino == (public / "index" / "a.bin").stat().st_ino
    with Staging(public) as staging:
        staging.write("index.html", b"home")
        staging.commit({"index": copy})  # the published and the new site share index/a.bin
    publish({"index/a.bin": b"other", "index.html": b"home"}, public)  # written into the spare
    assert (public / "index" / "a.bin").read_bytes() == b"other"
    assert (spare_of(public) / "index" / "a.bin").read_bytes() == b"index"


def test_a_folder_holding_a_link_is_not_linked_into_a_site(tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_text("secret")
    folder = tmp_path / "index"
    folder.mkdir()
    (folder / "a.bin").symlink_to(tmp_path / "outside.txt")
    assert linked_copy(folder, tmp_path / "copy") is None and not (tmp_path / "copy").exists()
    assert linked_copy(tmp_path / "missing", tmp_path / "copy") is None


def test_a_folder_the_spare_holds_can_be_kept_whole(tmp_path: Path) -> None:
    public = tmp_path / "public"
    publish({"index/a.bin": b"index", "index/old.bin": b"x", "index.html": b"one"}, public)
    publish({"index.html": b"two"}, public)  # the first site is the spare
    with Staging(public) as staging:
        held = staging.holding("index")
        assert held is not None and (held / "a.bin").read_bytes() == b"index"
        staging.write("index.html", b"three")
        staging.keep("index")
        staging.commit()
    assert snapshot(public) == with_marker(
        public, {"index/a.bin": b"index", "index/old.bin": b"x", "index.html": b"three"}
    )
    with Staging(tmp_path / "fresh") as staging:
        assert staging.holding("index") is None  # no spare to keep anything from


def test_a_folder_moved_in_deep_keeps_the_folders_above_it(tmp_path: Path) -> None:
    public = tmp_path / "public"
    for attempt in range(3):  # the third build writes into the spare the first one left
        with scratch_beside(public) as scratch:
            bundle = scratch / "bundle"
            bundle.mkdir()
            (bundle / "index.js").write_text(f"v{attempt}")
            publish({"index.html": b"home"}, public, {"search/engine/bundle": bundle})
        assert (public / "search" / "engine" / "bundle" / "index.js").read_text() == f"v{attempt}"


def test_records_scratch_is_in_memory_when_possible_and_never_lingers(tmp_path: Path, monkeypatch) -> None:
    memory = tmp_path / "shm"  # stands in for /dev/shm
    memory.mkdir()
    monkeypatch.setattr(output, "MEMORY_DISK", memory)
    dead = 1
    while True:  # a process id nobody uses: what a killed build's folder carries
        dead += 1
        try:
            os.kill(dead, 0)
        except ProcessLookupError:
            break
        except OSError:
            continue
    left = memory / f"sitegen-scratch-{dead}-abc"
    (left / "pagefind").mkdir(parents=True)
    others = memory / "someone-else"
    others.mkdir()
    with scratch_in_memory(tmp_path / "fallback") as folder:
        assert folder.parent == memory and folder.is_dir()
        (folder / "0.html").write_text("record")
        assert not left.exists() and others.is_dir()  # a dead build's folder goes, nothing else
    assert not folder.exists()

    (tmp_path / "fallback").mkdir()
    for too_small in (tmp_path / "missing", memory):  # no such place, or too little room in it
        monkeypatch.setattr(output, "MEMORY_DISK", too_small)
        monkeypatch.setattr(output, "MEMORY_NEEDED", 0 if too_small.name == "missing" else 2**62)
        with scratch_in_memory(tmp_path / "fallback") as folder:
            assert folder.parent == tmp_path / "fallback"
        assert not folder.exists()


def test_a_link_anywhere_in_a_spare_is_found_and_files_are_counted(tmp_path: Path) -> None:
    from sitegen.output import _holds_symlink, count_files

    deep = tmp_path / "site" / "papers" / "a" / "b"
    deep.mkdir(parents=True)
    (deep / "index.html").write_text("x")
    (tmp_path / "site" / "index.html").write_text("x")
    assert not _holds_symlink(tmp_path / "site") and count_files(tmp_path / "site") == 2
    (deep / "gone").symlink_to(tmp_path / "nowhere")  # dangling, four folders down
    assert _holds_symlink(tmp_path / "site")


def test_a_spare_taken_early_is_checked_for_links_beside_the_build(tmp_path: Path) -> None:
    """The build takes the spare at its start (`Spare`) and a child looks for links in it
    meanwhile: a sound spare is written into; one holding a link is dropped when claimed, and
    one never claimed (the build failed first) is put back."""
    import contextlib

    public = tmp_path / "public"
    for site in SITES[:2]:
        publish(site, public)
    with contextlib.ExitStack() as cleanup:
        spare = output.Spare(public, cleanup)
        assert spare.path is not None and not spare_of(public).exists()  # taken
        with Staging(public, spare=spare) as staging:
            assert (staging.folder / "index.html").read_bytes() == b"one"  # written into
            staging.write("index.html", b"three")
            staging.commit()
    assert (public / "index.html").read_bytes() == b"three"

    with contextlib.ExitStack() as cleanup:  # the build fails before it writes anything
        output.Spare(public, cleanup)
    assert (spare_of(public) / "index.html").read_bytes() == b"two" and leftovers(public) == []

    outside = tmp_path / "outside"
    outside.mkdir()
    (spare_of(public) / "index.html").unlink()
    (spare_of(public) / "index.html").symlink_to(outside / "victim.txt")
    with contextlib.ExitStack() as cleanup:
        staging = cleanup.enter_context(Staging(public, spare=output.Spare(public, cleanup)))
        assert not (staging.folder / "index.html").exists()  # a new folder, not the spare
        staging.write("index.html", b"four")
        staging.commit()
    assert os.listdir(outside) == [] and (public / "index.html").read_bytes() == b"four"
