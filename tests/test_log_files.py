"""Which files `gavel replay` and `gavel import` read (gavel.app.log_files)."""

from __future__ import annotations

from pathlib import Path

from gavel.app.log_files import MEETBOT_LOGS, find_logs


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("", encoding="utf-8")


def test_directories_are_searched_at_any_depth_and_sorted(tmp_path: Path) -> None:
    touch(tmp_path, "b/2024/b.2024-01-01-10.00.log.txt", "a.log", "b/notes.txt", "b/2024/b.2024-01-01-10.00.html")
    touch(tmp_path, "a.2023-05-06-07.08.log.txt")
    (tmp_path / "dir.log").mkdir()  # a directory with a log's name is no log
    assert find_logs([tmp_path]) == [
        tmp_path / "a.2023-05-06-07.08.log.txt",
        tmp_path / "a.log",
        tmp_path / "b/2024/b.2024-01-01-10.00.log.txt",
    ]
    assert find_logs([tmp_path], MEETBOT_LOGS) == [
        tmp_path / "a.2023-05-06-07.08.log.txt",
        tmp_path / "b/2024/b.2024-01-01-10.00.log.txt",
    ]


def test_files_named_come_in_the_order_given_whatever_their_name_and_each_once(tmp_path: Path) -> None:
    touch(tmp_path, "logs/z.log", "logs/y.log", "notes.txt")
    named = [tmp_path / "logs/z.log", tmp_path / "notes.txt", tmp_path / "logs", tmp_path / "logs/z.log"]
    assert find_logs(named) == [tmp_path / "logs/z.log", tmp_path / "notes.txt", tmp_path / "logs/y.log"]
    assert find_logs([tmp_path / "logs", tmp_path / "logs"], MEETBOT_LOGS) == []
