"""`sitegen serve`: build the survey in memory, serve it, rebuild on change, reload the browser.

The preview writes nothing: each rebuild reads and assigns the papers (phase 1) and plans the
site's files; a page is rendered when a browser first asks for it, and kept until the next
rebuild. A failed rebuild keeps the last good site, with the error shown in the browser until the
next good build. The preview searches with Lunr at any size (the built site switches to Pagefind
past `search.lunr_limit`). Live reload uses Server-Sent Events from an external script, so it
works under the site's CSP.
"""

from __future__ import annotations

import contextlib
import html
import http.server
import mimetypes
import threading
import time
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import click
import watchfiles

from ..cache import Cache
from ..config import SiteConfig, load_config
from ..errors import SitegenError
from ..models import AssignedPaper
from ..pipeline import BuildReport, load_site, plan_output
from ..site.render import Make
from .report import drift_report

EVENTS_PATH = "/__sitegen/events"
SCRIPT_PATH = "/__sitegen/livereload.js"
KEEPALIVE_SECONDS = 15.0
LIVERELOAD_JS = b"""// sitegen serve: reload this page after each rebuild; show build errors.
(function () {
  // The page says which build it came from, so a rebuild that lands before the stream connects
  // still reloads it.
  var served = document.currentScript ? document.currentScript.dataset.version : "";
  var source = new EventSource("/__sitegen/events" + (served ? "?since=" + served : ""));
  var box = null;
  source.addEventListener("reload", function () { window.location.reload(); });
  source.addEventListener("failed", function (event) {
    if (!box) {
      box = document.createElement("pre");
      box.setAttribute("role", "alert");
      box.className = "sitegen-build-error";
      document.body.insertBefore(box, document.body.firstChild);
    }
    box.textContent = "sitegen: the last rebuild failed; showing the previous build.\\n\\n" + event.data;
  });
})();
"""
ERROR_CSS = b""".sitegen-build-error{margin:0;padding:1rem;background:#fde8e8;color:#7a1010;
border-bottom:2px solid #c22;white-space:pre-wrap;font:14px/1.4 monospace}"""


class PreviewState:
    """The current build: a version number that changes after each rebuild, and its error."""

    def __init__(self) -> None:
        self.version = 0
        self.error: str | None = None
        self.changed = threading.Condition()

    def publish(self, error: str | None) -> None:
        with self.changed:
            self.version += 1
            self.error = error
            self.changed.notify_all()

    def wait_for_change(self, seen: int, timeout: float) -> tuple[int, str | None]:
        with self.changed:
            self.changed.wait_for(lambda: self.version != seen, timeout=timeout)
            return self.version, self.error


class PreviewSite:
    """The survey as the preview serves it: the last good build's files, made on request."""

    def __init__(self, config_path: Path, base_url: str) -> None:
        self.config_path = config_path
        self.base_url = base_url
        self.state = PreviewState()
        self.files: dict[str, Make] = {}
        self.made: dict[str, bytes] = {}
        self.papers: tuple[AssignedPaper, ...] | None = None
        self.lock = threading.Lock()  # one page made at a time; a rebuild swaps files and made together

    def config(self) -> SiteConfig:
        return load_config(self.config_path).with_overrides(base_url=self.base_url)

    def rebuild(self) -> str | None:
        """Build once; return the error message, or None when the build succeeded."""
        started = time.perf_counter()
        report = BuildReport()
        try:
            config = self.config()
            cache = Cache.beside(config.root)
            site = load_site(config, report, cache)
            files = plan_output(site, config, "lunr", cache).files
        except SitegenError as exc:
            message: str | None = str(exc)
        except Exception:  # a bug in sitegen: shown in the browser instead of ending the preview
            message = f"sitegen failed unexpectedly:\n{traceback.format_exc()}"
        else:
            message = None
            with self.lock:
                first, before = self.papers is None, self.papers
                self.files, self.made, self.papers = files, {}, site.papers
            report.elapsed = time.perf_counter() - started
            click.echo(f"{'Built' if first else 'Rebuilt'}: {report.summary()}")
            if before is not None:
                click.echo(drift_report({p.slug: p.topic_ids for p in before}, site.papers))
        if message is not None:
            click.secho(f"Rebuild failed (still serving the last good build):\n{message}", fg="red", err=True)
        self.state.publish(message)
        return message

    def file(self, path: str) -> bytes | None:
        """The bytes of the site's file at `path` (relative to the site's root), made on first
        request; None when the site has no such file."""
        with self.lock:
            data = self.made.get(path)
            make = self.files.get(path)
            if data is None and make is not None:
                data = self.made[path] = make()
            return data

    def has(self, path: str) -> bool:
        with self.lock:
            return path in self.files

    def watched_paths(self) -> list[Path]:
        config = load_config(self.config_path)
        return [p for p in (config.content_dir, config.templates_dir, config.path) if p.exists()]


class PreviewServer(http.server.ThreadingHTTPServer):
    """A threaded HTTP server that knows the preview site it serves."""

    daemon_threads = True
    site: PreviewSite
    livereload: bool


class PreviewHandler(http.server.BaseHTTPRequestHandler):
    """Serves the preview's files from memory; unknown paths get the site's 404 page."""

    server: PreviewServer

    def __init__(self, request: Any, client_address: Any, server: PreviewServer) -> None:
        self.site = server.site
        self.livereload = server.livereload
        super().__init__(request, client_address, server)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if self.livereload and path == EVENTS_PATH:
            self.send_events()
        elif self.livereload and path == SCRIPT_PATH:
            self.send_bytes(200, "text/javascript; charset=utf-8", LIVERELOAD_JS)
        elif self.livereload and path == "/__sitegen/error.css":
            self.send_bytes(200, "text/css; charset=utf-8", ERROR_CSS)
        else:
            self.send_site_file()

    def do_HEAD(self) -> None:
        if urlsplit(self.path).path.startswith("/__sitegen/"):
            self.send_bytes(405, "text/plain; charset=utf-8", b"GET only\n")
        else:
            self.send_site_file()

    def send_site_file(self) -> None:
        url_path = urlsplit(self.path).path
        path = site_path(url_path)
        if not self.site.has(path) and self.site.has(f"{path}/index.html"):
            self.send_response(301)  # a folder asked for without its slash, as web servers answer
            self.send_header("Location", url_path + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        try:
            data = self.site.file(path)
        except SitegenError as exc:  # a template error in this page: say so where it shows
            page = f"<!doctype html><title>Build error</title><pre>{html.escape(str(exc))}</pre></body>"
            self.send_bytes(500, "text/html; charset=utf-8", self.with_livereload(page.encode()))
            return
        if data is None:
            missing = (
                self.site.file("404.html") or b"<!doctype html><title>Not found</title><h1>Not found</h1>"
            )
            self.send_bytes(404, "text/html; charset=utf-8", self.with_livereload(missing))
            return
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if content_type == "text/html":
            data = self.with_livereload(data)
        if content_type.startswith("text/") or content_type in ("application/javascript", "application/json"):
            content_type += "; charset=utf-8"
        self.send_bytes(200, content_type, data)

    def with_livereload(self, html: bytes) -> bytes:
        if not self.livereload:
            return html
        version = str(self.site.state.version).encode()
        tags = (
            b'<link rel="stylesheet" href="/__sitegen/error.css">'
            b'<script src="' + SCRIPT_PATH.encode() + b'" data-version="' + version + b'"></script></body>'
        )
        return html.replace(b"</body>", tags, 1) if b"</body>" in html else html + tags

    def send_bytes(self, status: int, content_type: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            with contextlib.suppress(ConnectionError):
                self.wfile.write(data)

    def send_events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        # The page reports the build it was served from; anything newer is announced at once.
        since = parse_qs(urlsplit(self.path).query).get("since", [""])[0]
        seen = int(since) if since.isdigit() else self.site.state.version
        if self.site.state.error and seen == self.site.state.version:
            self.write_event("failed", self.site.state.error)
        try:
            while True:
                version, error = self.site.state.wait_for_change(seen, KEEPALIVE_SECONDS)
                if version == seen:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    seen = version
                    self.write_event("failed" if error else "reload", error or "rebuilt")
                self.wfile.flush()
        except (ConnectionError, OSError):
            return  # the browser closed the page

    def write_event(self, name: str, data: str) -> None:
        lines = "".join(f"data: {line}\n" for line in data.splitlines() or [""])
        self.wfile.write(f"event: {name}\n{lines}\n".encode())
        self.wfile.flush()


def site_path(url_path: str) -> str:
    """The site's file for a URL path: `/papers/x/` → `papers/x/index.html`. Only the site's own
    files are ever served (they are looked up by name), so `..` can lead nowhere."""
    relative = unquote(url_path).lstrip("/")
    return relative + "index.html" if relative == "" or relative.endswith("/") else relative


def start_server(
    config_path: Path, host: str, port: int, livereload: bool
) -> tuple[PreviewServer, PreviewSite]:
    """Bind first (so the base URL knows the real port), then build once."""
    server = PreviewServer((host, port), PreviewHandler)
    address, bound_port = server.server_address[:2]
    bound_host = address.decode() if isinstance(address, bytes) else address  # bytes only for Unix sockets
    shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    server.site = PreviewSite(config_path, f"http://{shown_host}:{bound_port}/")
    server.livereload = livereload
    server.site.rebuild()
    return server, server.site


def watch_and_rebuild(site: PreviewSite, stop: threading.Event) -> None:
    """Rebuild whenever content, templates or site.yaml change, until `stop` is set."""
    for _changes in watchfiles.watch(*site.watched_paths(), stop_event=stop, debounce=200, rust_timeout=500):
        site.rebuild()


def serve(config: SiteConfig, host: str, port: int, livereload: bool) -> None:
    server, site = start_server(config.path, host, port, livereload)
    if site.state.error:
        raise SitegenError.at(
            config.path,
            None,
            "the first build failed, so there is nothing to serve",
            "fix the errors above and run sitegen serve again",
        )
    stop = threading.Event()
    watcher = threading.Thread(target=watch_and_rebuild, args=(site, stop), daemon=True)
    watcher.start()
    address = site.base_url
    click.echo(f"Serving {address} (Ctrl-C to stop); rebuilding when content, templates or site.yaml change.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("\nStopped.")
    finally:
        stop.set()
        server.server_close()
