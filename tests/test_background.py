"""Work on a second core: same result as in-process, errors still surface, nothing left behind."""

from __future__ import annotations

import os
import signal
import time

import pytest

from sitegen import background
from sitegen.background import in_background

from .conftest import needs_fork


@pytest.fixture
def forking(monkeypatch) -> None:
    """Fork even though the test session runs threads (its web servers): these tests are about
    the child's work and hand-over, which threads in the parent do not touch."""
    monkeypatch.setattr(background, "can_fork", lambda: True)


@needs_fork
def test_a_forked_child_hands_back_exactly_the_bytes_it_made(forking) -> None:
    data = bytes(range(256)) * 4096  # 1 MB: more than a pipe holds, so the reader must keep up
    pending = in_background(lambda: data)
    assert pending.pid is not None
    assert pending.result() == data
    assert pending.pid is None  # the child was waited for: no zombie


def test_a_failing_child_means_the_work_runs_here_and_its_error_is_raised(forking) -> None:
    parent = os.getpid()

    def work() -> bytes:
        if os.getpid() != parent:
            raise RuntimeError("child only")
        raise ValueError("the real error, raised where its traceback can be read")

    pending = in_background(work)
    with pytest.raises(ValueError, match="real error"):
        pending.result()


@needs_fork
def test_cancel_stops_the_child(tmp_path, forking) -> None:
    marker = tmp_path / "finished"

    def slow() -> bytes:
        import time

        time.sleep(5)
        marker.write_text("yes")
        return b""

    pending = in_background(slow)
    pid = pending.pid
    pending.cancel()
    assert pid is not None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped
    assert not marker.exists()


@needs_fork
def test_ctrl_c_while_forking_leaves_no_child_running(tmp_path, forking, monkeypatch) -> None:
    """Ctrl-C or `kill` is held back while the child is forked and delivered once it is known to
    the cleanup stack: the child is stopped, never left writing (into a staging folder, say)."""
    import contextlib
    import signal
    import time

    marker = tmp_path / "finished"
    forked = []
    real_fork, real_mask = os.fork, signal.pthread_sigmask

    def fork() -> int:
        pid = real_fork()
        forked.append(pid)
        return pid

    def mask(how: int, signals: object) -> object:
        before = real_mask(how, signals)
        if how != signal.SIG_BLOCK and forked and forked[0] != 0:  # the signals let through again
            monkeypatch.setattr(signal, "pthread_sigmask", real_mask)
            raise KeyboardInterrupt  # the Ctrl-C that was held back while forking
        return before

    monkeypatch.setattr(os, "fork", fork)
    monkeypatch.setattr(signal, "pthread_sigmask", mask)

    def slow() -> bytes:
        time.sleep(1)
        marker.write_text("yes")
        return b""

    with pytest.raises(KeyboardInterrupt), contextlib.ExitStack() as cleanup:
        in_background(slow, cleanup)
    with pytest.raises(ChildProcessError):
        os.waitpid(forked[0], os.WNOHANG)  # stopped and reaped
    time.sleep(1.5)
    assert not marker.exists()


def test_without_a_second_core_the_work_runs_on_demand(monkeypatch) -> None:
    monkeypatch.setattr(background, "can_fork", lambda: False)
    calls = []
    pending = in_background(lambda: calls.append(1) or b"made here")
    assert calls == [] and pending.pid is None
    assert pending.result() == b"made here" and calls == [1]


@needs_fork
def test_the_default_survey_builds_the_same_with_or_without_a_second_core(
    tmp_path, monkeypatch, forking
) -> None:
    """Assignment split across two processes and the index made in a child change no byte."""
    from sitegen import pipeline
    from sitegen.cache import BuildCache
    from sitegen.config import load_config
    from sitegen.pipeline import build

    from .conftest import ROOT, snapshot

    fresh = iter(range(9))  # an empty cache for each build: every search index is made anew
    monkeypatch.setattr(
        pipeline.BuildCache, "beside", lambda root: BuildCache(tmp_path / f"cache{next(fresh)}")
    )
    config = load_config(ROOT / "site.yaml")
    build(config.with_overrides(output_dir=tmp_path / "two"))
    monkeypatch.setattr(background, "can_fork", lambda: False)
    build(config.with_overrides(output_dir=tmp_path / "one"))
    assert snapshot(tmp_path / "two") == snapshot(tmp_path / "one")


def test_split_map_keeps_the_order_and_raises_the_real_error(forking) -> None:
    assert background.split_map(lambda x: x * x, list(range(1000))) == [x * x for x in range(1000)]

    def fails_on(x: int) -> int:
        if x == 900:
            raise KeyError("item 900")
        return x

    with pytest.raises(KeyError, match="item 900"):
        background.split_map(fails_on, list(range(1000)))


@needs_fork
def test_split_map_shares_the_items_while_the_parent_does_other_work_first(forking) -> None:
    parent = os.getpid()
    calls: list[str] = []

    def slow(x: int) -> tuple[int, int]:
        time.sleep(0.002)  # 300 items: 0.6 s of work, so that both processes get some
        return x, os.getpid()

    def first() -> None:
        calls.append("first")
        time.sleep(0.1)  # meanwhile the child takes items

    done = background.split_map(slow, list(range(300)), first=first)
    assert [x for x, _ in done] == list(range(300)) and calls == ["first"]
    assert 0 < sum(1 for _, pid in done if pid == parent) < 300  # both processes took items


@needs_fork
def test_the_helper_of_split_map_yields_to_this_process_and_to_background_jobs(forking, tmp_path) -> None:
    parent, marker = os.getpid(), tmp_path / "child-started"
    niceness = os.nice(0)

    def priority(x: int) -> tuple[int, int]:
        if os.getpid() != parent:
            marker.touch()
        return os.getpid(), os.nice(0)

    def first() -> None:  # until the child has taken an item
        deadline = time.monotonic() + 10
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.01)

    done = background.split_map(priority, list(range(300)), first=first)
    assert {nice for pid, nice in done if pid != parent} == {min(19, niceness + background.HELPER_NICENESS)}
    assert {nice for pid, nice in done if pid == parent} <= {niceness} and os.nice(0) == niceness


@needs_fork
def test_a_worker_runs_in_its_child_until_stopped_and_falls_back_when_the_child_is_gone(forking) -> None:
    worker = background.Worker.start(os.getpid)
    try:
        child = worker.run()
        assert child != os.getpid() and worker.run() == child  # one child, asked twice
        os.kill(child, signal.SIGKILL)
        assert worker.run() == os.getpid()  # gone: the work is done here
    finally:
        worker.stop()
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)  # reaped
    with pytest.raises(background.WorkerStopped):
        worker.run()


@needs_fork
def test_a_pagefind_index_made_in_a_child_lands_in_the_site(make_project, forking) -> None:
    from sitegen.config import load_config
    from sitegen.pipeline import build

    project = make_project()
    site_yaml = project / "site.yaml"
    site_yaml.write_text(site_yaml.read_text() + "search: {engine: pagefind}\n")
    report = build(load_config(site_yaml))
    public = project / "public"
    assert (public / "pagefind" / "pagefind.js").is_file() and (public / "pagefind" / "SOURCE.txt").is_file()
    assert (
        report.counts["files"] == sum(1 for p in public.rglob("*") if p.is_file()) - 1
    )  # all but the marker
    assert not list(project.glob(".public.*")), "no scratch folder left beside the output"


@needs_fork
def test_when_pagefind_cannot_run_the_editor_is_told_what_to_do(make_project, forking, monkeypatch) -> None:
    """The child fails first, the build redoes the work itself and reports the real cause."""
    from sitegen import pagefind_search
    from sitegen.config import load_config
    from sitegen.errors import SitegenError
    from sitegen.pipeline import build

    async def no_binary(*args) -> None:
        raise FileNotFoundError("pagefind: no such file")

    monkeypatch.setattr(pagefind_search, "_index", no_binary)
    project = make_project()
    site_yaml = project / "site.yaml"
    site_yaml.write_text(site_yaml.read_text() + "search: {engine: pagefind}\n")
    with pytest.raises(SitegenError) as info:
        build(load_config(site_yaml))
    text = str(info.value)
    assert "Pagefind could not run: pagefind: no such file" in text and "pip install 'pagefind[bin]'" in text
    assert not (project / "public").exists() and not list(project.glob(".public.*"))
