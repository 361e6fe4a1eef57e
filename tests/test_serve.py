"""`sitegen serve`: serves the build, 404s, stays inside the output, rebuilds and reloads."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sitegen.serve import EVENTS_PATH, PreviewServer, start_server, watch_and_rebuild


@pytest.fixture
def preview(make_project) -> Iterator[tuple[PreviewServer, Path]]:
    project = make_project()
    server, site = start_server(project / "site.yaml", "127.0.0.1", 0, livereload=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stop = threading.Event()
    watcher = threading.Thread(target=watch_and_rebuild, args=(site, stop), daemon=True)
    watcher.start()
    time.sleep(0.3)  # let the watcher start before tests edit files
    yield server, project
    stop.set()
    server.shutdown()
    server.server_close()
    site.cleanup()


def get(server: PreviewServer, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=10)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    conn.close()
    return response.status, body


def wait_for_version(server: PreviewServer, version: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while server.site.state.version <= version:
        assert time.monotonic() < deadline, "no rebuild happened"
        time.sleep(0.05)


def test_serves_pages_with_the_live_reload_script(preview) -> None:
    server, _ = preview
    status, body = get(server, "/")
    assert status == 200
    assert "Test survey" in body
    assert '<script src="/__sitegen/livereload.js" data-version="1"></script></body>' in body
    assert get(server, "/__sitegen/livereload.js")[0] == 200
    assert get(server, "/assets/style.css")[0] == 200


def test_unknown_paths_get_the_site_404_page(preview) -> None:
    server, _ = preview
    status, body = get(server, "/no/such/page/")
    assert status == 404
    assert "Page not found" in body


@pytest.mark.parametrize("path", ["/../site.yaml", "/..%2f..%2fsite.yaml", "/%2e%2e/%2e%2e/etc/passwd"])
def test_paths_outside_the_output_are_not_served(preview, path: str) -> None:
    server, _ = preview
    status, body = get(server, path)
    assert status == 404
    assert "title: Test survey" not in body and "root:" not in body


def test_editing_content_rebuilds_and_tells_the_browser(preview) -> None:
    server, project = preview
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=20)
    conn.request("GET", EVENTS_PATH)
    events = conn.getresponse()
    assert events.status == 200
    version = server.site.state.version
    about = project / "content" / "pages" / "about.md"
    about.write_text("# About\n\nFreshly edited.\n")
    wait_for_version(server, version)
    assert events.readline() == b"event: reload\n"
    conn.close()
    assert "Freshly edited." in get(server, "/about/")[1]


def test_a_failed_rebuild_keeps_the_last_good_site_and_reports_the_error(preview) -> None:
    server, project = preview
    version = server.site.state.version
    (project / "content" / "taxonomy.yaml").write_text("topics: [\n")
    wait_for_version(server, version)
    assert "YAML syntax error" in (server.site.state.error or "")
    status, body = get(server, "/")
    assert status == 200 and "Test survey" in body
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=10)
    conn.request("GET", EVENTS_PATH)
    events = conn.getresponse()
    assert events.readline() == b"event: failed\n"
    assert b"YAML syntax error" in events.readline()
    conn.close()


def test_a_rebuild_before_the_stream_connects_still_reloads_the_page(preview) -> None:
    server, _ = preview
    served = server.site.state.version  # the page was served from this build…
    server.site.rebuild()  # …and a rebuild lands before its event stream connects
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=10)
    conn.request("GET", f"{EVENTS_PATH}?since={served}")
    events = conn.getresponse()
    assert events.readline() == b"event: reload\n"
    conn.close()
