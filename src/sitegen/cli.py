"""The `sitegen` command: parse options, call one function, print problems clearly.

Invalid input ends with exit code 1 and `file:line: what is wrong — what to do`; a traceback
is shown only with --debug.
"""

from __future__ import annotations

import contextlib
import shlex
import signal
import sys
import threading
from pathlib import Path

import click

from . import __version__
from .config import SiteConfig, load_config
from .editor.report import check_site, drift_report, explain, find_papers
from .errors import SitegenError, counted
from .pipeline import BuildReport, build, load_site
from .progress import Progress

CONFIG_OPTION = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=Path("site.yaml"),
    show_default=True,
    help="The survey's site.yaml.",
)


class SitegenGroup(click.Group):
    """Turns a `SitegenError` into a clean message and exit code 1, an interruption into 130."""

    def invoke(self, ctx: click.Context) -> object:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _interrupt)  # `kill` cleans up like Ctrl-C does
        try:
            return super().invoke(ctx)
        except SitegenError as exc:
            if ctx.params.get("debug"):
                raise
            for problem in exc.problems:
                click.secho(f"error: {problem}", fg="red", err=True)
            if ctx.invoked_subcommand == "build":  # the only command that writes a site
                click.echo("Nothing was written; the previous output is unchanged.", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            after = "; the previous output is unchanged" if ctx.invoked_subcommand == "build" else ""
            click.echo(f"\nInterrupted{after}.", err=True)
            sys.exit(130)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@click.group(cls=SitegenGroup)
@click.version_option(__version__, prog_name="sitegen")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def main(debug: bool) -> None:
    """Build a browsable, searchable website from a literature survey."""


def _load(config_path: Path, out: Path | None = None, base_url: str | None = None) -> SiteConfig:
    if not config_path.exists():
        raise SitegenError.at(
            config_path,
            None,
            "no site.yaml here",
            "run sitegen in your survey's folder or pass --config PATH",
        )
    return load_config(config_path).with_overrides(output_dir=out, base_url=base_url)


WARNINGS_SHOWN_BY_BUILD = 20


def _print_warnings(report: BuildReport, strict: bool, limit: int | None = None) -> None:
    if report.diagnostics.warnings:
        click.secho(report.diagnostics.summary(limit), fg="yellow", err=True)
        if strict:
            raise SitegenError(*report.diagnostics.warnings)


@main.command("build")
@CONFIG_OPTION
@click.option(
    "--out", type=click.Path(path_type=Path), help="Output folder (default: output_dir of site.yaml)."
)
@click.option("--base-url", help="URL or path the site will be served from, e.g. /survey/.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--quiet", is_flag=True, help="Print only warnings and errors.")
def build_command(
    config_path: Path, out: Path | None, base_url: str | None, strict: bool, quiet: bool
) -> None:
    """Build the site into the output folder."""
    config = _load(config_path, out, base_url)
    report = BuildReport()
    stderr = sys.stderr
    show_progress = not quiet and stderr.isatty()
    try:
        with Progress(stderr) if show_progress else contextlib.nullcontext() as progress:
            report.on_stage = progress.begin if progress else None
            build(config, report, strict=strict)
    finally:
        _print_warnings(report, strict=False, limit=WARNINGS_SHOWN_BY_BUILD)
    if not quiet:
        click.echo(f"Built {_display(config.output_dir)}: {report.summary()}")
        drift = drift_report(report.before, report.papers)
        if drift:
            click.echo(drift)


@main.command("check")
@CONFIG_OPTION
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def check_command(config_path: Path, strict: bool) -> None:
    """Validate everything without writing; list papers no topic claims."""
    config = _load(config_path)
    report = BuildReport()
    site = load_site(config, report)
    _print_warnings(report, strict)
    findings = check_site(site)
    click.echo(
        f"OK: {counted(len(site.papers), 'papers')}, {counted(len(site.taxonomy.walk()), 'topics')}, "
        f"{counted(len(site.pages), 'pages')}, {len(findings.unsorted)} unsorted, "
        f"{len(findings.off_topic)} off-topic."
    )
    if findings.format():
        click.echo(findings.format())


@main.command("explain")
@CONFIG_OPTION
@click.argument("query", nargs=-1, required=True)
def explain_command(config_path: Path, query: tuple[str, ...]) -> None:
    """Show every topic's score for one paper (a slug, or words from its title) and why."""
    config = _load(config_path)
    site = load_site(config, BuildReport())
    text = " ".join(query)
    found = find_papers(site, text)
    if not found:
        raise SitegenError.at(None, None, f"no paper matches '{text}'", "give a slug or words from the title")
    if len(found) > 1:
        shown = [f"  - {paper.slug}: {paper.paper.title}" for paper in found[:20]]
        more = [f"  … and {len(found) - 20} more"] if len(found) > 20 else []
        click.echo("\n".join([f"{len(found)} papers match '{text}':", *shown, *more]), err=True)
        raise SitegenError.at(
            None, None, f"{len(found)} papers match '{text}'", "give one of the slugs above, or more words"
        )
    click.echo(explain(site, found[0]))


@main.command("new")
@click.argument("directory", type=click.Path(path_type=Path))
def new_command(directory: Path) -> None:
    """Create a small example survey in DIRECTORY that builds at once."""
    from .editor.scaffold import new_survey

    files = new_survey(directory)
    click.echo(f"Created {counted(len(files), 'files')} in {directory}. Next:")
    steps = [(f"cd {shlex.quote(str(directory))} && sitegen build", "writes public/")]
    steps.append(("sitegen serve", "preview at http://127.0.0.1:8000/"))
    width = max(len(command) for command, _ in steps)
    for command, what in steps:
        click.echo(f"  {command.ljust(width)}   # {what}")
    click.echo("Then paste your own listings into content/sources/ and edit content/taxonomy.yaml.")


@main.command("serve")
@CONFIG_OPTION
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--livereload/--no-livereload",
    default=True,
    show_default=True,
    help="Reload the open page after each rebuild.",
)
def serve_command(config_path: Path, host: str, port: int, livereload: bool) -> None:
    """Build, serve the site locally, and rebuild when content, templates or site.yaml change."""
    from .editor.serve import serve

    config = _load(config_path)
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.secho(
            f"warning: serving on {host}: other machines on your network can see the preview.",
            fg="yellow",
            err=True,
        )
    serve(config, host=host, port=port, livereload=livereload)


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
