"""Atomic output: a build that fails, is interrupted or killed leaves the previous site intact,
and the next build clears whatever a killed one left beside the output."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sitegen.errors import SitegenError
from sitegen.publish import MARKER, Staging, check_output_dir, publish, remove_leftovers

from .conftest import ROOT, snapshot, write_files

DEAD_PID = 2**22 + 1  # above Linux's largest process id: no process has it


def beside(output_dir: Path) -> list[str]:
    """What sits beside the output that sitegen may have made."""
    return sorted(p.name for p in output_dir.parent.glob(f".{output_dir.name}.*"))


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
        assert any(name.startswith(".public.new-") for name in beside(public))
    else:
        assert process.returncode == 130
        assert b"Interrupted; the previous output is unchanged." in stderr
        assert beside(public) == []  # cleaned up on the way out

    # The next build clears what a killed build left and publishes the change.
    assert run_build(full_project) == 0
    assert beside(public) == []
    assert b"Changed after the first build." in (public / "about" / "index.html").read_bytes()


def _stopped(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # what `sitegen build` makes of a `kill` (cli._interrupt)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_landing_as_the_staging_folder_is_made_leaves_the_site_and_no_lasting_trace(
    make_project, monkeypatch, sig: signal.Signals
) -> None:
    """A signal landing as the staging folder is made and marked, before the build's cleanup
    knows of it, may leave the folder; the site is untouched and the next build removes it."""
    from sitegen.config import load_config
    from sitegen.pipeline import build

    config = load_config(make_project() / "site.yaml")
    build(config)
    before = snapshot(config.output_dir)
    real_enter = Staging.__enter__

    def enter_then_stopped(self: Staging) -> Staging:
        entered = real_enter(self)
        os.kill(os.getpid(), sig)
        return entered

    monkeypatch.setattr(Staging, "__enter__", enter_then_stopped)
    previous = signal.signal(signal.SIGTERM, _stopped)
    try:
        with pytest.raises(KeyboardInterrupt):
            build(config)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert snapshot(config.output_dir) == before
    monkeypatch.setattr(Staging, "__enter__", real_enter)
    build(config)
    assert beside(config.output_dir) == []


LEFTOVER_FILES = {"index.html": b"x", "a/b.html": b"y", "a/c/d.html": b"z", "e.txt": b"w", "f/g.txt": b"v"}


@pytest.mark.parametrize("stop_after", range(1, 4))
def test_a_removal_stopped_anywhere_is_finished_by_the_next_build(
    tmp_path: Path, monkeypatch, stop_after: int
) -> None:
    """Removing a leftover site takes a while, and Ctrl-C may land in the middle. The marker goes
    last, so a remnant still looks like sitegen's own and the next build finishes the job."""
    public = tmp_path / "public"
    publish({"index.html": b"site"}, public)
    leftover = tmp_path / f".public.new-{DEAD_PID}-abc12345"  # a killed build's
    write_files(leftover, {MARKER: "", **LEFTOVER_FILES})
    real_rmtree, removed = shutil.rmtree, []

    def rmtree(path, *args, **kwargs) -> None:
        real_rmtree(path, *args, **kwargs)
        removed.append(path)
        if len(removed) == stop_after:
            raise KeyboardInterrupt  # Ctrl-C, between two parts

    monkeypatch.setattr(shutil, "rmtree", rmtree)
    with pytest.raises(KeyboardInterrupt):
        remove_leftovers(public)
    monkeypatch.setattr(shutil, "rmtree", real_rmtree)
    assert not leftover.exists() or (leftover / MARKER).exists(), "left unmarked: never removed"
    remove_leftovers(public)  # the next build
    assert beside(public) == []
    assert (public / "index.html").read_bytes() == b"site"


def test_a_failing_write_leaves_the_previous_site(tmp_path: Path) -> None:
    public = tmp_path / "public"
    publish({"index.html": b"old"}, public)
    with pytest.raises(SitegenError, match="outside the output folder"):
        publish({"index.html": b"new", "../escape.html": b"x"}, public)
    assert snapshot(public) == with_marker(public, {"index.html": b"old"})
    assert not (tmp_path / "escape.html").exists()
    assert beside(public) == []


def test_publish_replaces_the_whole_site_and_leaves_nothing_beside_it(tmp_path: Path) -> None:
    public = tmp_path / "public"
    publish({"index.html": b"one", "gone.html": b"x", "a/b.html": b"y"}, public)
    publish({"index.html": b"two"}, public)
    assert sorted(snapshot(public)) == [MARKER, "index.html"]
    assert (public / "index.html").read_bytes() == b"two"
    assert beside(public) == []


def test_two_builds_in_a_row_leave_nothing_beside_the_output_but_the_cache(make_project) -> None:
    from sitegen.config import load_config
    from sitegen.pipeline import build

    project = make_project()
    (project / ".public.spare").mkdir()  # kept by sitegen 0.1: removed once it is known as such
    (project / ".public.spare" / MARKER).write_text("")
    config = load_config(project / "site.yaml")
    build(config)
    build(config)
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".")) == [".sitegen-cache"]


def test_a_build_killed_between_two_renames_is_repaired_by_the_next(tmp_path: Path) -> None:
    """The swap is two renames; a kill between them leaves only `.public.old-*` (and maybe the
    new site, not yet in place): the next build puts the previous site back."""
    public = tmp_path / "public"
    publish({"index.html": b"old"}, public)
    os.replace(public, tmp_path / f".public.old-{DEAD_PID}-abc12345")
    write_files(tmp_path / f".public.new-{DEAD_PID}-def67890", {MARKER: "", "index.html": "new"})
    (tmp_path / f".public.new-{DEAD_PID}-killedat").mkdir()  # killed as it was made

    remove_leftovers(public)

    assert (public / "index.html").read_bytes() == b"old"
    assert beside(public) == []


def test_recovery_never_touches_folders_it_did_not_make_or_another_build_s(tmp_path: Path) -> None:
    public = tmp_path / "public"
    mine = tmp_path / "notes"
    mine.mkdir()
    write_files(tmp_path / f".public.old-{DEAD_PID}-abc12345", {"keep.txt": "x"})  # no marker
    write_files(tmp_path / ".public.old-x", {MARKER: "", "keep.txt": "x"})  # not named as sitegen does
    write_files(tmp_path / f".public.new-{os.getppid()}-abc12345", {MARKER: ""})  # its build runs
    remove_leftovers(public)
    assert mine.is_dir()
    assert len(beside(public)) == 3
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
