"""Progress of `gavel replay` and `gavel import`: a rich bar on a terminal, plain lines anywhere else."""

from __future__ import annotations

import io
import sys

import pytest

from gavel.app.progress import FileProgress, ProgressBar, file_progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_on_a_terminal_with_the_messages_above_it(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with file_progress("import", 2, shown=True, lines=True) as progress:
        assert isinstance(progress, ProgressBar)
        progress.advance(1234)
        progress.say("warning: x.log.txt:3: [bold]kept[/bold] as text")
    shown = terminal.getvalue()
    assert "warning: x.log.txt:3: [bold]kept[/bold] as text\n" in shown  # markup in log text stays text
    assert "import" in shown and "1/2" in shown and "1,234 lines" in shown


@pytest.mark.parametrize(("shown", "stream"), [(False, Terminal()), (True, io.StringIO())])
def test_plain_lines_without_a_bar_or_a_terminal(
    monkeypatch: pytest.MonkeyPatch, shown: bool, stream: io.StringIO
) -> None:
    monkeypatch.setattr(sys, "stderr", stream)
    with file_progress("replay", 2, shown=shown) as progress:
        assert type(progress) is FileProgress
        progress.advance()
        progress.say("error: [x]")
    assert stream.getvalue() == "error: [x]\n"
