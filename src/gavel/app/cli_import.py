"""``gavel import`` once its files are found and the archive is open: progress, warnings, errors, a summary."""

from __future__ import annotations

from pathlib import Path

import click

from gavel.app.importer import ImportReport, ParsedLog, import_logs
from gavel.app.progress import file_progress
from gavel.storage.archive import Archive, ArchiveError

MAX_WARNINGS_SHOWN = 50


def import_files(
    archive: Archive,
    files: list[Path],
    *,
    jobs: int,
    network: str | None,
    resume: bool,
    quiet: bool,
    maubot_spellings: bool = False,
) -> int:
    """Store the meetings of ``files`` in ``archive``; how many files failed. Everything is reported on stderr."""
    with file_progress("import", len(files), shown=not quiet, lines=True) as progress:

        def advance(parsed: ParsedLog | None, report: ImportReport) -> None:
            progress.advance(report.lines)

        try:
            report = import_logs(
                archive,
                files,
                jobs=jobs,
                network=network,
                resume=resume,
                on_file=advance,
                maubot_spellings=maubot_spellings,
            )
        except ArchiveError as failure:
            raise click.ClickException(str(failure)) from None
    if not quiet:
        for warning in report.warnings[:MAX_WARNINGS_SHOWN]:
            click.echo(f"warning: {warning}", err=True)
        if len(report.warnings) > MAX_WARNINGS_SHOWN:
            click.echo(f"... and {len(report.warnings) - MAX_WARNINGS_SHOWN} more warnings", err=True)
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    click.echo(
        f"{report.files} file(s): {report.meetings} meeting(s) stored ({report.lines:,} lines), "
        f"{report.skipped} already stored, {len(report.warnings)} warning(s), {report.failed} error(s)",
        err=True,
    )
    return report.failed
