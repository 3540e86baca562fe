"""Progress over many files for ``gavel replay`` and ``gavel import``: a rich bar when a terminal shows it, plain
lines otherwise. rich is loaded only for a bar (it adds ~25 ms to a command's start)."""

from __future__ import annotations

import sys
from typing import Self

import click


class FileProgress:
    """No bar: messages go to stderr as they are."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def advance(self, lines: int = 0) -> None:
        """One more file done; ``lines``: the log lines done so far."""

    def say(self, text: str) -> None:
        click.echo(text, err=True)


class ProgressBar(FileProgress):
    """A transient bar on stderr (gone at the end); messages are printed above it."""

    def __init__(self, label: str, total: int, *, lines: bool) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        columns: list[ProgressColumn] = [TextColumn(label), BarColumn(), MofNCompleteColumn()]
        if lines:
            columns.append(TextColumn("{task.fields[lines]:,} lines"))
        columns.append(TimeRemainingColumn())
        self._bar = Progress(*columns, console=Console(stderr=True, highlight=False), transient=True)
        self._task = self._bar.add_task(label, total=total, lines=0)

    def __enter__(self) -> Self:
        self._bar.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._bar.stop()

    def advance(self, lines: int = 0) -> None:
        self._bar.update(self._task, advance=1, lines=lines)

    def say(self, text: str) -> None:
        self._bar.console.print(text, markup=False, highlight=False, soft_wrap=True)


def file_progress(label: str, total: int, *, shown: bool, lines: bool = False) -> FileProgress:
    """A :class:`ProgressBar` when ``shown`` and stderr is a terminal (rich draws no bar anywhere else), else plain
    lines. ``lines``: the bar also counts log lines."""
    if shown and sys.stderr.isatty():
        return ProgressBar(label, total, lines=lines)
    return FileProgress()
