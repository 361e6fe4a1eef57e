"""`sitegen serve`: from saving a taxonomy edit to the reloaded page in a real browser.

Usage: python benchmarks/preview.py [--papers 1500] [--runs 5]

A synthetic survey of N papers (benchmarks/synthetic.py) is previewed as an editor previews it:
the server and its file watcher run, headless Chromium (Debian's) has a topic page open, and the
editor saves content/taxonomy.yaml with one more phrase in a rule (`measure.edit_one_topic`).
Timed from the moment the file is written to the reloaded page's `load` event: the watcher's
wait, phase 1 (read, parse, assign, related) and making the page. Prints each run and the median.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from measure import edit_one_topic

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from tests.conftest import CHROMIUM_ARGS  # noqa: E402  (the brief's flags)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from sitegen.editor.serve import start_server, watch_and_rebuild

    scratch = Path(tempfile.mkdtemp(prefix=".sitegen-preview-", dir=ROOT.parent))
    try:
        project = scratch / "survey"
        command = [sys.executable, str(HERE / "synthetic.py"), str(args.papers), str(project)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        server, site = start_server(project / "site.yaml", "127.0.0.1", 0, livereload=True)
        stop = threading.Event()
        threading.Thread(target=server.serve_forever, daemon=True).start()
        threading.Thread(target=watch_and_rebuild, args=(site, stop), daemon=True).start()
        times = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"{site.base_url}topics/peft/")
            time.sleep(1.0)  # the page's event stream and the watcher are connected
            for n in range(args.runs):
                with page.expect_navigation(wait_until="load", timeout=60_000):
                    started = time.perf_counter()
                    edit_one_topic(project, n)
                times.append(time.perf_counter() - started)
                print(f"run {n + 1}: {times[-1]:.2f} s", flush=True)
                time.sleep(0.5)
            browser.close()
        stop.set()
        server.shutdown()
        server.server_close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    median = statistics.median(times)
    print(f"{args.papers} papers: saved edit → reloaded page, median of {args.runs}: {median:.2f} s")


if __name__ == "__main__":
    main()
