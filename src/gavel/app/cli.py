"""The ``gavel`` command line."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from gavel import __version__
from gavel.app.importer import ImportReport, ParsedLog, import_logs
from gavel.app.log_files import MEETBOT_LOGS, find_logs
from gavel.app.output_tree import ALL_FORMATS
from gavel.app.replay import ReplayOptions, ReplayResult, replay_file
from gavel.storage.archive import DEFAULT_ARCHIVE_URL, Archive, ArchiveError, open_archive

_MAX_WARNINGS_SHOWN = 50


def _replay_all(files: list[Path], options: ReplayOptions, jobs: int) -> Iterator[ReplayResult]:
    if jobs <= 1 or len(files) <= 1:
        for path in files:
            yield replay_file(path, options)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(replay_file, files, [options] * len(files), chunksize=chunk_size(len(files), jobs))


def chunk_size(files: int, jobs: int) -> int:
    """Files handed to a worker at a time: at least 4 chunks per worker (so every worker gets work, and a slow
    file does not hold up many others), at most 16 files (fewer round trips on a big tree)."""
    return max(1, min(16, files // (jobs * 4)))


# --archive, shared by the commands that read or fill the archive.
archive_option = click.option(
    "--archive",
    "archive_url",
    metavar="URL",
    default=DEFAULT_ARCHIVE_URL,
    show_default=True,
    envvar="GAVEL_ARCHIVE",
    help="The archive: sqlite:///path/archive.db (a file) or postgresql://user@host/db. Also $GAVEL_ARCHIVE.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gavel")
def main() -> None:
    """gavel: run and record IRC meetings (a MeetBot successor)."""


@main.command()
@click.argument("logs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--output-dir",
    "-o",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Root of the MeetBot-layout output tree.",
)
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Meeting date, for logs whose file name does not carry one.",
)
@click.option("--channel", help="Channel shown in the minutes (default: '#' + the file name's first part).")
@click.option("--bot-nick", help="The bot's nick in the log (default: detected from its 'Meeting started' reply).")
@click.option("--url-base", default="", help="URL prefix of the output tree, used in the minutes.")
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(ALL_FORMATS),
    help="Only write these formats (repeatable; default: all).",
)
@click.option("--jobs", "-j", default=1, show_default=True, type=click.IntRange(1, 64), help="Parallel processes.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no per-file lines.")
@click.option(
    "--archive",
    "archive_url",
    metavar="URL",
    help="Also store each meeting in this archive (sqlite:///path/archive.db or postgresql://...).",
)
def replay(
    logs: tuple[Path, ...],
    output_dir: Path,
    day: object,
    channel: str | None,
    bot_nick: str | None,
    url_base: str,
    formats: tuple[str, ...],
    jobs: int,
    quiet: bool,
    archive_url: str | None,
) -> None:
    """Replay IRC meeting logs (MeetBot .log.txt, irssi/weechat) into minutes and logs."""
    files = find_logs(logs)
    if not files:
        raise click.ClickException("no log files found (directories are searched for *.log.txt and *.log)")
    archive = _open_archive(archive_url) if archive_url else None
    meeting_date: date | None = day.date() if hasattr(day, "date") else None  # click gives a datetime
    options = ReplayOptions(
        output_dir=output_dir,
        date=meeting_date,
        channel=channel,
        bot_nick=bot_nick,
        url_base=url_base,
        formats=formats or ALL_FORMATS,
        archive=archive is not None,
    )
    err = Console(stderr=True, highlight=False)
    failed = warned = meetings = 0
    progress = Progress(
        TextColumn("replay"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=quiet or len(files) < 2,
        transient=True,
    )
    with progress, archive if archive is not None else contextlib.nullcontext():
        task = progress.add_task("replay", total=len(files))
        for result in _replay_all(files, options, jobs):
            progress.advance(task)
            for warning in result.warnings:
                warned += 1
                progress.console.print(f"warning: {warning}", markup=False, soft_wrap=True)
            if result.error:
                failed += 1
                progress.console.print(f"error: {result.error}", markup=False, soft_wrap=True)
                continue
            if archive is not None and not _archive_all(archive, result, progress.console):
                failed += 1
            meetings += len(result.meetings)
            if not quiet:
                for written in result.meetings:
                    note = " (unfinished: no #endmeeting)" if written.unfinished else ""
                    click.echo(f"{output_dir / written.basename}.*{note}")
    err.print(
        f"{len(files)} file(s), {meetings} meeting(s) written, {warned} warning(s), {failed} error(s)",
        markup=False,
        soft_wrap=True,
    )
    if failed:
        sys.exit(1)


def _open_archive(url: str) -> Archive:
    try:
        return open_archive(url)
    except ArchiveError as error:
        raise click.ClickException(str(error)) from None


def _archive_all(archive: Archive, result: ReplayResult, console: Console) -> bool:
    """Store a replayed file's meetings in the archive; False (reported) if one could not be stored."""
    ok = True
    for parsed in result.archived:
        try:
            parsed.store(archive)
        except Exception as error:  # a database error must not stop the replay of the other files
            ok = False
            console.print(
                f"error: {result.path}: cannot archive {parsed.view.log_basename}: {error}",
                markup=False,
                soft_wrap=True,
            )
    return ok


@main.command("import")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@archive_option
@click.option(
    "--jobs",
    "-j",
    default=2,
    show_default=True,
    type=click.IntRange(0, 64),
    help="Parsing processes besides the one writer (0: parse in the writer; 1 already overlaps parsing and storing).",
)
@click.option("--network", help="Network name to record with every imported meeting.")
@click.option("--no-resume", is_flag=True, help="Parse and store every file again, even those already stored.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no warnings, only errors and the summary.")
def import_(
    sources: tuple[Path, ...], archive_url: str, jobs: int, network: str | None, no_resume: bool, quiet: bool
) -> None:
    """Import a MeetBot output tree (or directories of NAME.YYYY-MM-DD-HH.MM.log.txt logs) into the archive.

    Each .log.txt is replayed in memory (no files are written) and its meetings stored with every
    log line. Files whose meeting is already stored are skipped, so an interrupted import can
    simply be run again. A file that fails is reported at the end; the exit code is then 1.
    """
    files = find_logs(sources, MEETBOT_LOGS)
    if not files:
        raise click.ClickException("no *.log.txt files found")
    err = Console(stderr=True, highlight=False)
    progress = Progress(
        TextColumn("import"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[lines]:,} lines"),
        TimeRemainingColumn(),
        console=err,
        disable=quiet,
        transient=True,
    )
    with _open_archive(archive_url) as archive, progress:
        task = progress.add_task("import", total=len(files), lines=0)

        def advance(parsed: ParsedLog | None, report: ImportReport) -> None:
            progress.update(task, advance=1, lines=report.lines)

        report = import_logs(archive, files, jobs=jobs, network=network, resume=not no_resume, on_file=advance)
    if not quiet:
        for warning in report.warnings[:_MAX_WARNINGS_SHOWN]:
            err.print(f"warning: {warning}", markup=False, soft_wrap=True)
        if len(report.warnings) > _MAX_WARNINGS_SHOWN:
            err.print(f"... and {len(report.warnings) - _MAX_WARNINGS_SHOWN} more warnings", markup=False)
    for error in report.errors:
        err.print(f"error: {error}", markup=False, soft_wrap=True)
    err.print(
        f"{report.files} file(s): {report.meetings} meeting(s) stored ({report.lines:,} lines), "
        f"{report.skipped} already stored, {len(report.warnings)} warning(s), {report.failed} error(s)",
        markup=False,
        soft_wrap=True,
    )
    if report.failed:
        sys.exit(1)


@main.command()
@click.option(
    "--config",
    "-c",
    "config_path",
    required=True,
    envvar="GAVEL_CONFIG",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The TOML configuration file (see docs/config.md). Also read from $GAVEL_CONFIG.",
)
@click.option("--check", is_flag=True, help="Only validate the configuration: print a summary, exit 0 or 2.")
def run(config_path: Path, check: bool) -> None:
    """Run the meeting bot on the networks and channels of a configuration file."""
    import asyncio

    from gavel.app.config import ConfigError, load_config

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"{config_path}: {len(exc.problems)} problem(s); nothing was started", err=True)
        sys.exit(2)
    for warning in config.warnings:
        click.echo(f"warning: {warning}", err=True)
    if check:
        click.echo(f"{config_path}: OK: {config.summary()}")
        return
    from gavel.app.live import run_bot

    try:
        asyncio.run(run_bot(config))
    except KeyboardInterrupt:
        sys.exit(130)


@main.command()
@archive_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option(
    "--token",
    envvar="GAVEL_WEB_TOKEN",
    help="Access token for restricted meetings (Authorization: Bearer, or the login form). Prefer $GAVEL_WEB_TOKEN.",
)
@click.option(
    "--trust-user-header",
    "user_header",
    metavar="HEADER",
    help="A header set by a trusted reverse proxy (e.g. X-Remote-User): any non-empty value authenticates.",
)
@click.option("--root-path", default="", help="URL path prefix when a reverse proxy serves the archive below a path.")
def serve(archive_url: str, host: str, port: int, token: str | None, user_header: str | None, root_path: str) -> None:
    """Serve the meeting archive: web pages, search and a JSON API (see docs/web.md)."""
    import uvicorn

    from gavel.web.app import create_app

    archive = _open_archive(archive_url)
    app = create_app(archive, token=token, user_header=user_header, close_archive=True)
    if user_header:
        click.echo(
            f"trusting the {user_header} header: make sure only your reverse proxy can reach {host}:{port}", err=True
        )
    uvicorn.run(app, host=host, port=port, root_path=root_path.rstrip("/"), server_header=False, log_level="info")


@main.command()
@archive_option
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--include-restricted", is_flag=True, help="Export #restrictlogs meetings too (their files get mode 0600)."
)
@click.option(
    "--url-base", default="", help="URL of DIRECTORY on the web server, for the log links in the .txt minutes."
)
def export(archive_url: str, directory: Path, include_restricted: bool, url_base: str) -> None:
    """Write the archive as a MeetBot-layout tree with index pages, for plain web hosting."""
    from gavel.web.export import export_archive

    with _open_archive(archive_url) as archive:
        report = export_archive(archive, directory, include_restricted=include_restricted, url_base=url_base)
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(
        f"{directory}: {report.series} series, {report.meetings} meeting(s), {len(report.files)} file(s)", err=True
    )
