"""While a log is replayed (``gavel replay``, ``gavel import``'s parsing), the cyclic garbage collector runs less
often (``app/collector.py``), and its thresholds are put back afterwards, also after an error."""

from __future__ import annotations

import gc
from collections.abc import Iterable
from pathlib import Path

import pytest

from gavel.app import executor as executor_module
from gavel.app.collector import REPLAY_THRESHOLDS, fewer_collections
from gavel.app.importer import parse_log
from gavel.app.replay import ReplayOptions, replay_file
from gavel.core.events import Row

LOG = "10:00:00 <alice> #startmeeting gc\n10:00:01 <bob> #info collected\n10:00:02 <alice> #endmeeting\n"


def test_the_thresholds_are_raised_in_the_block_and_put_back_after(monkeypatch: pytest.MonkeyPatch) -> None:
    gc.set_threshold(700, 10, 10)
    with fewer_collections():
        assert gc.get_threshold() == REPLAY_THRESHOLDS
    assert gc.get_threshold() == (700, 10, 10)
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("a replay that fails")
    assert gc.get_threshold() == (700, 10, 10)


@pytest.mark.parametrize("replay", ["replay", "import"])
def test_a_log_is_replayed_with_fewer_collections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replay: str) -> None:
    seen: list[tuple[int, int, int]] = []
    process_rows = executor_module.MeetingExecutor.process_rows

    def watched(self: executor_module.MeetingExecutor, batches: Iterable[list[Row]]) -> None:
        seen.append(gc.get_threshold())
        process_rows(self, batches)

    monkeypatch.setattr(executor_module.MeetingExecutor, "process_rows", watched)
    log = tmp_path / "gc.2024-01-01-10.00.log.txt"
    log.write_text(LOG)
    before = gc.get_threshold()
    if replay == "replay":
        result = replay_file(log, ReplayOptions(output_dir=tmp_path / "out"))
        assert result.error is None and len(result.meetings) == 1
    else:
        parsed = parse_log(log)
        assert parsed.error is None and len(parsed.meetings) == 1
        parsed.discard()
    assert seen == [REPLAY_THRESHOLDS]
    assert gc.get_threshold() == before
