"""``gavel schedule check|ical``: validate a directory of meeting schedules, write their calendars.

Only click is imported here; the schedule code (PyYAML, icalendar) is imported when a command runs.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from gavel.schedule.model import Schedule

directory_argument = click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))


@click.group()
def schedule() -> None:
    """Meeting schedules: a directory of OpenStack irc-meetings YAML files (see docs/schedule.md)."""


@schedule.command()
@directory_argument
def check(directory: Path) -> None:
    """Name every invalid file and field, and every conflict; exit 0 only when all is well."""
    from gavel.schedule.conflicts import find_conflicts

    loaded = _load(directory)
    files = {meeting.stem: str(directory / f"{meeting.stem}.yaml") for meeting in loaded.meetings}
    conflicts = find_conflicts(loaded.meetings, files)
    for conflict in conflicts:
        click.echo(str(conflict))
    bad = len(loaded.problems) + len(conflicts)
    entries = sum(len(meeting.entries) for meeting in loaded.meetings)
    summary = f"{directory}: {len(loaded.meetings)} meeting(s), {entries} schedule entries"
    click.echo(f"{summary}; {len(loaded.problems)} problem(s), {len(conflicts)} conflict(s)", err=True)
    if bad:
        sys.exit(1)


@schedule.command()
@directory_argument
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the .ics files.",
)
@click.option(
    "--from",
    "since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Start each calendar on this day (default: today, UTC).",
)
def ical(directory: Path, output: Path, since: datetime | None) -> None:
    """Write OUTPUT/<file>.ics for each meeting and OUTPUT/meetings.ics with all of them."""
    from gavel.schedule.ical import calendar

    loaded = _load(directory)
    made = (since or datetime.now(UTC)).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=UTC)
    output.mkdir(parents=True, exist_ok=True)
    for meeting in loaded.meetings:
        _write(output / f"{meeting.stem}.ics", calendar((meeting,), made, meeting.project))
    _write(output / "meetings.ics", calendar(loaded.meetings, made, "Meetings"))
    click.echo(f"{output}: {len(loaded.meetings) + 1} calendar(s) from {made:%Y-%m-%d}", err=True)
    if loaded.problems:
        sys.exit(1)


def _load(directory: Path) -> Schedule:
    from gavel.schedule.directory import load_schedule

    loaded = load_schedule(directory)
    for problem in loaded.problems:
        click.echo(str(problem))
    for warning in loaded.warnings:
        click.echo(f"warning: {warning}", err=True)
    return loaded


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
