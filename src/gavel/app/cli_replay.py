"""``gavel replay`` once its files are found: each replayed (by worker processes with ``--jobs``), progress, the
meetings stored in the archive, a summary."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gavel.app.progress import FileProgress, file_progress
from gavel.app.replay import ReplayOptions, ReplayResult, replay_file

if TYPE_CHECKING:
    from gavel.storage.archive import Archive


def replay_logs(files: list[Path], options: ReplayOptions, *, jobs: int, quiet: bool, archive: Archive | None) -> int:
    """Replay ``files`` (and store their meetings in ``archive``); how many failed. The files written are listed on
    stdout (unless ``quiet``), warnings, errors and the summary go to stderr."""
    failed = warned = meetings = 0
    with file_progress("replay", len(files), shown=not quiet and len(files) > 1) as progress:
        for result in _replay_all(files, options, jobs):
            progress.advance()
            for warning in result.warnings:
                warned += 1
                progress.say(f"warning: {warning}")
            if result.error:
                failed += 1
                progress.say(f"error: {result.error}")
                continue
            if archive is not None and not _archive_all(archive, result, progress):
                failed += 1
            meetings += len(result.meetings)
            if not quiet:
                for written in result.meetings:
                    note = " (unfinished: no #endmeeting)" if written.unfinished else ""
                    click.echo(f"{options.output_dir / written.basename}.*{note}")
    click.echo(f"{len(files)} file(s), {meetings} meeting(s) written, {warned} warning(s), {failed} error(s)", err=True)
    return failed


def _replay_all(files: list[Path], options: ReplayOptions, jobs: int) -> Iterator[ReplayResult]:
    if jobs <= 1 or len(files) <= 1:
        for path in files:
            yield replay_file(path, options)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(replay_file, files, [options] * len(files), chunksize=chunk_size(len(files), jobs))


def chunk_size(files: int, jobs: int) -> int:
    """Files handed to a worker at a time: at least 4 chunks per worker (so every worker gets work, and a slow
    file does not hold up many others), at most 16 files (fewer round trips on a big tree)."""
    return max(1, min(16, files // (jobs * 4)))


def _archive_all(archive: Archive, result: ReplayResult, progress: FileProgress) -> bool:
    """Store a replayed file's meetings in the archive; False (reported) if one could not be stored."""
    ok = True
    for parsed in result.archived:
        try:
            parsed.store(archive)
        except Exception as error:  # a database error must not stop the replay of the other files
            ok = False
            progress.say(f"error: {result.path}: cannot archive {parsed.view.log_basename}: {error}")
    return ok
