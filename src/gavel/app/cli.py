"""The ``gavel`` command line.

Only click and the options' defaults are imported here: each command imports what it runs when it runs, so
``gavel --help`` and a small ``gavel replay`` start fast (a test checks that the web app, the archive backends,
psycopg, rich and the live bot stay unloaded).
"""

from __future__ import annotations

import contextlib
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from gavel import __version__
from gavel.app.cli_migrate import migrate
from gavel.app.cli_schedule import schedule
from gavel.app.log_files import MEETBOT_LOGS, find_logs
from gavel.render.formats import ALL_FORMATS
from gavel.storage.defaults import DEFAULT_ARCHIVE_URL, DEFAULT_PAGE_CACHE_MB, DEFAULT_SERVE_THREADS

if TYPE_CHECKING:
    from gavel.app.config import Config
    from gavel.storage.archive import Archive

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


main.add_command(schedule)
main.add_command(migrate)


maubot_option = click.option(
    "--maubot-spellings",
    is_flag=True,
    help="Read maubot-meetings' command spellings too (!sm, ^info ...), as the bot does in Matrix rooms.",
)


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
@maubot_option
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
    maubot_spellings: bool,
) -> None:
    """Replay IRC meeting logs (MeetBot .log.txt, irssi/weechat) into minutes and logs."""
    from gavel.app.cli_replay import replay_logs
    from gavel.app.replay import ReplayOptions

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
        maubot_spellings=maubot_spellings,
    )
    with archive if archive is not None else contextlib.nullcontext():
        failed = replay_logs(files, options, jobs=jobs, quiet=quiet, archive=archive)
    if failed:
        sys.exit(1)


def _open_archive(url: str) -> Archive:
    from gavel.storage.archive import ArchiveError, open_archive

    try:
        return open_archive(url)
    except ArchiveError as error:
        raise click.ClickException(str(error)) from None


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
@maubot_option
def import_(
    sources: tuple[Path, ...],
    archive_url: str,
    jobs: int,
    network: str | None,
    no_resume: bool,
    quiet: bool,
    maubot_spellings: bool,
) -> None:
    """Import a MeetBot output tree (or directories of NAME.YYYY-MM-DD-HH.MM.log.txt logs) into the archive.

    Each .log.txt is replayed in memory (no files are written) and its meetings stored with every
    log line. Files whose meeting is already stored are skipped, so an interrupted import can
    simply be run again. A file that fails is reported at the end; the exit code is then 1.
    """
    from gavel.app.cli_import import import_files

    files = find_logs(sources, MEETBOT_LOGS)
    if not files:
        raise click.ClickException("no *.log.txt files found")
    with _open_archive(archive_url) as archive:
        failed = import_files(
            archive,
            files,
            jobs=jobs,
            network=network,
            resume=not no_resume,
            quiet=quiet,
            maubot_spellings=maubot_spellings,
        )
    if failed:
        sys.exit(1)


config_option = click.option(
    "--config",
    "-c",
    "config_path",
    required=True,
    envvar="GAVEL_CONFIG",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The TOML configuration file (see docs/config.md). Also read from $GAVEL_CONFIG.",
)


def _load_config(config_path: Path, what: str) -> Config:
    """The configuration, or every problem on stderr and exit status 2 (``what``: what was then not done)."""
    from gavel.app.config import ConfigError, load_config

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"{config_path}: {len(exc.problems)} problem(s); {what}", err=True)
        sys.exit(2)
    for warning in config.warnings:
        click.echo(f"warning: {warning}", err=True)
    return config


@main.command()
@config_option
@click.option("--check", is_flag=True, help="Only validate the configuration: print a summary, exit 0 or 2.")
def run(config_path: Path, check: bool) -> None:
    """Run the meeting bot on the networks and channels of a configuration file."""
    import asyncio

    config = _load_config(config_path, "nothing was started")
    if check:
        click.echo(f"{config_path}: OK: {config.summary()}")
        return
    from gavel.app.live import run_bot

    try:
        code = asyncio.run(run_bot(config))
    except KeyboardInterrupt:
        sys.exit(130)
    if code:
        click.echo(f"gavel stopped: recording failed (exit status {code}); see the log above", err=True)
        sys.exit(code)


@main.command()
@config_option
@click.argument("meeting")
@click.option(
    "--wait",
    default=60.0,
    show_default=True,
    type=click.FloatRange(0, 3600),
    help="Seconds to keep retrying (with the bot's backoff) before leaving the rest in the outbox.",
)
def deliver(config_path: Path, meeting: str, wait: float) -> None:
    """Send an archived meeting's mail and webhooks again, as the [[deliver]] rules of the configuration say.

    MEETING is its archive id, its basename (nova.2024-05-01-14.00) or series/YYYY-MM-DD. The deliveries go
    through the bot's outbox: what has not arrived after --wait seconds stays there, the bot sends it at its
    next start, and the exit status is 1.
    """
    from gavel.app.deliver_again import DeliverError, deliver_again, find_meeting

    config = _load_config(config_path, "nothing was sent")
    if config.bot.archive_url is None:
        raise click.ClickException(f"{config_path}: no archive is configured ([bot] archive): nothing to read from")
    with _open_archive(config.bot.archive_url) as archive:
        try:
            found = find_meeting(archive, meeting)
        except DeliverError as error:
            raise click.ClickException(str(error)) from None
    try:
        outcome = deliver_again(config, found, wait)
    except DeliverError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        raise click.ClickException(f"cannot write the outbox: {error}") from None
    for sent in outcome.delivered:
        click.echo(f"delivered {sent.name} ({sent.kind})")
    for left in outcome.left:
        click.echo(f"not delivered yet: {left.name} ({left.kind}); kept in the outbox for the bot", err=True)
    if outcome.left:
        sys.exit(1)


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
    help="A header set by a reverse proxy (e.g. X-Remote-User): any non-empty value authenticates, on requests "
    "from a --trusted-proxy only.",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    metavar="ADDR|CIDR",
    multiple=True,
    help="A reverse proxy (address or network, repeatable) whose user header, X-Forwarded-For and "
    "X-Forwarded-Proto are believed. Needed by --trust-user-header.",
)
@click.option(
    "--session-hours",
    default=12.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="How long a sign-in through the login form lasts.",
)
@click.option("--root-path", default="", help="URL path prefix when a reverse proxy serves the archive below a path.")
@click.option(
    "--schedule",
    "schedule_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A directory of meeting schedules (irc-meetings YAML): adds /schedule and each series' next meeting.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes serving requests side by side (they share sessions and the login throttle through "
    "the archive).",
)
@click.option(
    "--page-cache-mb",
    default=DEFAULT_PAGE_CACHE_MB,
    show_default=True,
    type=click.IntRange(0, 1 << 20),
    help="Megabytes of rendered public pages each worker keeps in memory (0: none).",
)
@click.option(
    "--threads",
    default=DEFAULT_SERVE_THREADS,
    show_default=True,
    type=click.IntRange(1, 1024),
    help="Requests each worker works on at once; the others wait their turn.",
)
def serve(
    archive_url: str,
    host: str,
    port: int,
    token: str | None,
    user_header: str | None,
    trusted_proxies: tuple[str, ...],
    session_hours: float,
    root_path: str,
    schedule_dir: Path | None,
    workers: int,
    page_cache_mb: int,
    threads: int,
) -> None:
    """Serve the meeting archive: web pages, search and a JSON API (see docs/web.md)."""
    import uvicorn

    from gavel.app.web_workers import FACTORY, SETTINGS_ENV, ServeSettings, build_app
    from gavel.web.auth import AccessSettingsError, auth_settings

    try:  # checked before anything is opened
        settings = auth_settings(
            token=token, user_header=user_header, trusted_proxies=trusted_proxies, session_hours=session_hours
        )
    except AccessSettingsError as error:
        for problem in error.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"gavel serve: {len(error.problems)} problem(s); nothing was started", err=True)
        sys.exit(2)
    if schedule_dir is not None:  # followed while the server runs
        from gavel.schedule.watch import ScheduleWatcher

        for left_out in ScheduleWatcher(schedule_dir).look().errors:  # each app follows it from then on
            click.echo(f"warning: schedule: {left_out}", err=True)
    _open_archive(archive_url).close()  # a bad URL or a newer schema fails here, once; the schema is brought up to date
    serve_settings = ServeSettings(
        archive_url,
        token,
        user_header,
        trusted_proxies,
        session_hours,
        None if schedule_dir is None else str(schedule_dir),
        page_cache_mb,
        threads,
    )
    if settings.user_header:
        proxies = ", ".join(trusted_proxies)
        click.echo(
            f"trusting the {user_header} header from {proxies} only: make sure the proxy sets or strips it", err=True
        )
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "root_path": root_path.rstrip("/"),
        "proxy_headers": False,  # the app believes X-Forwarded-* from --trusted-proxy peers only
        "server_header": False,
        "log_level": "info",
    }
    if workers == 1:
        uvicorn.run(build_app(serve_settings), **options)
        return
    os.environ[SETTINGS_ENV] = serve_settings.to_json()  # the workers (new processes) build their app from it
    uvicorn.run(FACTORY, factory=True, workers=workers, **options)


@main.command()
@archive_option
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--include-restricted", is_flag=True, help="Export #restrictlogs meetings too (their files get mode 0600)."
)
@click.option(
    "--url-base",
    default="",
    help="URL of DIRECTORY on the web server: the log links in the minutes, absolute links in the feeds.",
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
