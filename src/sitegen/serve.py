"""`sitegen serve`: build into a scratch folder, serve it, rebuild on change, reload the browser.

The preview never touches the real output folder. Each rebuild goes through the same atomic
publish as `sitegen build`, so the server always serves a complete site: the last good one when
a rebuild fails, with the error shown in the browser until the next good build.
Live reload uses Server-Sent Events from an external script, so it works under the site's CSP.
"""

from __future__ import annotations

import contextlib
import http.server
import shutil
import tempfile
import threading
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import click
import watchfiles

from . import background
from .background import Worker, WorkerStopped
from .cache import keep_between_builds
from .config import SiteConfig, load_config
from .errors import SitegenError
from .pipeline import build

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
    """Builds the survey into a scratch folder with a base URL that fits the preview server.

    Builds run in a `Worker` process forked before the server starts its threads, so a rebuild
    can use a second core as `sitegen build` does (forking is unsafe once threads run) and pays
    no start-up or imports; where forking is not possible, builds run in this process."""

    def __init__(self, config_path: Path, base_url: str) -> None:
        self.config_path = config_path
        self.base_url = base_url
        self.scratch = Path(tempfile.mkdtemp(prefix="sitegen-serve-"))
        self.output = self.scratch / "site"
        self.state = PreviewState()
        keep_between_builds()  # each build reads the cache's entries only when they changed
        self.builder = Worker.start(self.build_once) if background.can_fork() else None

    def config(self) -> SiteConfig:
        config = load_config(self.config_path)
        return config.with_overrides(output_dir=self.output, base_url=self.base_url)

    def build_once(self) -> tuple[str | None, str]:
        """(error message or None, the build's summary)."""
        try:
            report = build(self.config())
        except SitegenError as exc:
            return str(exc), ""
        except Exception:  # a bug in sitegen: shown in the browser instead of ending the preview
            return f"sitegen failed unexpectedly:\n{traceback.format_exc()}", ""
        return None, report.summary()

    def rebuild(self) -> str | None:
        """Build once; return the error message, or None when the build succeeded."""
        try:
            message, summary = self.builder.run() if self.builder else self.build_once()
        except WorkerStopped:
            return None  # the preview is shutting down: no build, nothing to say
        if message is not None:
            click.secho(f"Rebuild failed (still serving the last good build):\n{message}", fg="red", err=True)
        else:
            click.echo(f"Rebuilt: {summary}")
        self.state.publish(message)
        return message

    def watched_paths(self) -> list[Path]:
        config = load_config(self.config_path)
        return [p for p in (config.content_dir, config.templates_dir, config.path) if p.exists()]

    def cleanup(self) -> None:
        if self.builder:
            self.builder.stop()
        shutil.rmtree(self.scratch, ignore_errors=True)


class PreviewServer(http.server.ThreadingHTTPServer):
    """A threaded HTTP server that knows the preview site it serves."""

    daemon_threads = True
    site: PreviewSite
    livereload: bool


class PreviewHandler(http.server.SimpleHTTPRequestHandler):
    """Serves only files inside the output folder; unknown paths get the site's 404 page."""

    server: PreviewServer

    def __init__(self, request: Any, client_address: Any, server: PreviewServer) -> None:
        self.site = server.site
        self.livereload = server.livereload
        super().__init__(request, client_address, server, directory=str(server.site.output))

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

    def send_site_file(self) -> None:
        target = self.site_file(urlsplit(self.path).path)
        try:
            data = target.read_bytes() if target else None
        except OSError:  # replaced by a rebuild between finding and reading it
            data = None
        if data is None:
            self.send_bytes(404, "text/html; charset=utf-8", self.with_livereload(self.not_found_page()))
            return
        content_type = self.guess_type(str(target))
        if content_type.startswith("text/html"):
            data = self.with_livereload(data)
            content_type = "text/html; charset=utf-8"
        self.send_bytes(200, content_type, data)

    def do_HEAD(self) -> None:
        if urlsplit(self.path).path.startswith("/__sitegen/"):
            self.send_bytes(405, "text/plain; charset=utf-8", b"GET only\n")
        else:
            self.send_site_file()

    def site_file(self, url_path: str) -> Path | None:
        """The file for a URL path, only if it (after following links) lies inside the output folder."""
        root = self.site.output.resolve()
        relative = unquote(url_path).lstrip("/")
        try:
            candidate = (root / relative).resolve()
            if not candidate.is_relative_to(root):
                return None
            if candidate.is_dir():
                candidate = (candidate / "index.html").resolve()
            return candidate if candidate.is_relative_to(root) and candidate.is_file() else None
        except (ValueError, OSError):  # a NUL byte, a name too long for the file system
            return None

    def not_found_page(self) -> bytes:
        page = self.site.output / "404.html"
        return (
            page.read_bytes()
            if page.is_file()
            else b"<!doctype html><title>Not found</title><h1>Not found</h1>"
        )

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
        site.cleanup()
