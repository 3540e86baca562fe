"""``gavel migrate SOURCE TARGET``: copy a whole archive into another (SQLite to PostgreSQL or back).

Only click is imported here; the archive code is imported when the command runs.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from gavel.storage.archive import Archive
    from gavel.storage.archive.transfer import MigrationReport

PLAIN_PROGRESS_SECONDS = 10.0
"""Without a terminal (a bar), a progress line at most this often."""


@click.command()
@click.argument("source", metavar="SOURCE")
@click.argument("target", metavar="TARGET")
@click.option("--replace", is_flag=True, help="Delete the meetings, series and web state TARGET holds, then copy.")
@click.option("--quiet", "-q", is_flag=True, help="No progress, only the summary.")
def migrate(source: str, target: str, replace: bool, quiet: bool) -> None:
    """Copy the archive SOURCE into the archive TARGET, losing nothing: sqlite:///path/archive.db or
    postgresql://user@host/db, either way round.

    Every meeting (minutes, every log line, actions and their status, restricted ones too), every series and the
    web server's signing key and sessions are copied with their ids; TARGET builds its own search index. Both
    archives are brought to this gavel's schema first. SOURCE is read in one snapshot (a web server may keep
    serving it; meetings stored meanwhile are not copied) and TARGET written in one transaction, checked
    table by table before it commits: an interrupted copy leaves TARGET as it was, so run it again.
    A TARGET that holds meetings is refused unless --replace.
    """
    from gavel.app.progress import file_progress
    from gavel.storage.archive import ArchiveError
    from gavel.storage.archive.transfer import migrate_archive

    _refuse_missing(source)
    with _open(source) as read, _open(target) as written:
        total = sum(series.meeting_count for series in read.list_series(include_restricted=True))
        with file_progress("migrate", total, shown=not quiet, lines=True) as progress:
            last = [time.monotonic()]

            def advance(done: int, count: int, lines: int) -> None:
                progress.advance(lines)
                now = time.monotonic()
                if not quiet and not sys.stderr.isatty() and (now - last[0] >= PLAIN_PROGRESS_SECONDS or done == count):
                    last[0] = now
                    click.echo(f"migrate: {done}/{count} meetings, {lines:,} lines", err=True)

            try:
                report = migrate_archive(read, written, replace=replace, on_meeting=advance)
            except ArchiveError as error:
                raise click.ClickException(str(error)) from None
            except KeyboardInterrupt:
                click.echo("migrate: interrupted; nothing was written to TARGET (run it again)", err=True)
                sys.exit(130)
    _summary(report)


def _refuse_missing(url: str) -> None:
    """An SQLite SOURCE that does not exist is a typo: opening it would create an empty archive and copy nothing."""
    from gavel.storage.archive import ArchiveError, sqlite_path

    try:
        path = sqlite_path(url)
    except ArchiveError as error:
        raise click.ClickException(str(error)) from None
    if path is not None and str(path) != ":memory:" and not path.exists():
        raise click.ClickException(f"no archive at {path} (SOURCE must exist)")


def _open(url: str) -> Archive:
    from gavel.storage.archive import ArchiveError, open_archive

    try:
        return open_archive(url)
    except ArchiveError as error:
        raise click.ClickException(str(error)) from None


def _summary(report: MigrationReport) -> None:
    copied = report.copied
    rate = report.lines / report.seconds if report.seconds else 0.0
    if report.replaced_meetings:
        click.echo(f"replaced {report.replaced_meetings} meeting(s) the target held", err=True)
    click.echo(
        f"copied {copied['meetings']} meeting(s) in {copied['series']} series, {report.lines:,} log lines, "
        f"{copied['items']} items, {copied['actions']} actions, {copied['votes']} votes "
        f"in {report.seconds:.1f} s ({rate:,.0f} lines/s); counts checked: "
        + ", ".join(f"{name} {count}" for name, count in copied.items()),
        err=True,
    )
    dropped = ", ".join(f"{name} ({count} rows)" for name, count in report.dropped.items())
    click.echo(f"not copied: {dropped} (recent wrong sign-ins)", err=True)
