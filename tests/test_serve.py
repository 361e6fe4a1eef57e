"""`sitegen serve`: serves the build, 404s, stays inside the output, rebuilds and reloads."""

from __future__ import annotations

import concurrent.futures
import http.client
import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sitegen.editor.serve import EVENTS_PATH, PreviewServer, PreviewSite, start_server, watch_and_rebuild


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


@pytest.mark.parametrize(
    "path",
    [
        "/../site.yaml",
        "/..%2f..%2fsite.yaml",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "/assets/../../../etc/passwd",
        "/..%5c..%5csite.yaml",
        "//etc/passwd",
        "/%00",
        "/" + "a" * 5000,
        "/content/taxonomy.yaml",
        "/site.yaml",
    ],
)
def test_paths_outside_the_site_are_not_served(preview, path: str) -> None:
    server, _ = preview
    status, body = get(server, path)
    assert status == 404
    assert "title: Test survey" not in body and "root:" not in body


def test_head_requests_get_headers_only(preview) -> None:
    server, _ = preview
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=10)
    conn.request("HEAD", "/")
    response = conn.getresponse()
    assert response.status == 200 and int(response.getheader("Content-Length")) > 0
    assert response.read() == b""
    conn.request("HEAD", "/no/such/")
    assert conn.getresponse().status == 404
    conn.close()


def test_many_concurrent_clients_and_clients_that_hang_up(preview, capfd) -> None:
    server, _ = preview
    server.site.files["big.bin"] = lambda: bytes(8_000_000)  # too big to send before the reset
    paths = ["/", "/about/", "/search-index.json", "/assets/style.css", "/missing/", "/../site.yaml"]
    expected = {path: get(server, path)[0] for path in paths}

    def hang_up_mid_response() -> None:
        with socket.create_connection(server.server_address[:2], timeout=10) as sock:
            sock.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            sock.recv(100)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset

    def client(n: int) -> list[tuple[str, int]]:
        if n % 5 == 0:
            hang_up_mid_response()
        return [(path, get(server, path)[0]) for path in paths]

    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
        results = [r for batch in pool.map(client, range(100)) for r in batch]

    assert len(results) == 600
    assert all(status == expected[path] for path, status in results)
    assert get(server, "/")[0] == 200  # still serving
    assert "Traceback" not in capfd.readouterr().err


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


def test_serving_beyond_this_machine_needs_asking_and_warns(make_project, runner, monkeypatch) -> None:
    from sitegen.cli import main
    from sitegen.editor import serve as serve_module

    calls = []
    monkeypatch.setattr(serve_module, "serve", lambda config, host, port, livereload: calls.append(host))
    monkeypatch.chdir(make_project())
    local = runner.invoke(main, ["serve"])
    assert calls == ["127.0.0.1"] and "warning" not in local.output
    exposed = runner.invoke(main, ["serve", "--host", "0.0.0.0"])
    assert calls[-1] == "0.0.0.0"
    assert "warning: serving on 0.0.0.0: other machines on your network can see" in exposed.output


def test_the_preview_writes_no_site_and_keeps_the_last_good_build(make_project, capsys) -> None:
    """Pages are made in memory when asked for; a failed rebuild keeps the last good site and a
    good one replaces it, saying what moved. Nothing but the cache is written into the project."""
    project = make_project()
    site = PreviewSite(project / "site.yaml", "http://127.0.0.1:9/")
    assert site.rebuild() is None
    assert capsys.readouterr().out.startswith("Built: 2 papers, 2 topics")
    assert b"Test survey" in (site.file("index.html") or b"")
    taxonomy = project / "content" / "taxonomy.yaml"
    good = taxonomy.read_text()
    taxonomy.write_text("topics: [\n")
    error = site.rebuild()
    assert error and "YAML syntax error" in error and "taxonomy.yaml" in error
    assert b"Test survey" in (site.file("index.html") or b"")  # the last good build
    taxonomy.write_text(good)
    (project / "site.yaml").write_text("title: Renamed survey\ndescription: A small survey.\nbase_url: /\n")
    taxonomy.write_text(good.replace("[rlhf, dpo, preference]", "[rlhf]"))
    capsys.readouterr()
    assert site.rebuild() is None
    printed = capsys.readouterr().out
    assert printed.startswith("Rebuilt: 2 papers") and "  dpo-without-tears: -alignment" in printed
    assert b"Renamed survey" in (site.file("index.html") or b"")
    assert site.file("papers/no-such-paper/index.html") is None
    assert sorted(p.name for p in project.iterdir()) == [
        ".sitegen-cache", "content", "site.yaml", "templates"
    ]  # fmt: skip


def test_a_folder_without_its_slash_is_redirected(preview) -> None:
    server, _ = preview
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=10)
    conn.request("GET", "/about")
    response = conn.getresponse()
    assert response.status == 301 and response.getheader("Location") == "/about/"
    conn.close()
