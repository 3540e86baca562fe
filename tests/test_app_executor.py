"""The one effect executor: the runtime names the files, every format links to the real log, ids keep meetings apart."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gavel.app.executor import MeetingExecutor, Outputs, announce_lines, replay_ids
from gavel.app.output_tree import CLAIMS_DIR
from gavel.app.replay import ReplayOptions, replay_file
from gavel.core.events import Event, Message
from gavel.core.meeting import MeetingSettings

T0 = datetime(2026, 3, 4, 10, 0, 0, tzinfo=UTC)


class Chat:
    def __init__(self) -> None:
        self.said: list[str] = []
        self.topics: list[str] = []

    def say(self, text: str) -> None:
        self.said.append(text)

    def set_topic(self, text: str) -> None:
        self.topics.append(text)


def counter(prefix: str) -> object:
    count = 0

    def next_id() -> str:
        nonlocal count
        count += 1
        return f"{prefix}{count:04d}"

    return next_id


def executor(
    root: Path, channel: str, prefix: str, url_base: str = "https://m.example.org/"
) -> tuple[MeetingExecutor, Chat]:
    chat = Chat()
    settings = MeetingSettings(channel=channel, bot_nick="gavel")
    ids = counter(prefix)
    assert callable(ids)
    outputs = Outputs(output_dir=root, url_base=url_base, snapshots=True)
    run = MeetingExecutor(lambda: settings, outputs, new_id=ids, chat=chat)
    return run, chat


def said(run: MeetingExecutor, seconds: float, nick: str, text: str) -> None:
    event: Event = Message(T0 + timedelta(seconds=seconds), nick, text)
    run.process(event)


def test_two_meetings_with_one_name_in_one_minute_link_to_their_own_logs(tmp_path: Path) -> None:
    """Held live before: the second meeting's .txt and .json minutes linked to the FIRST meeting's log."""
    first, first_chat = executor(tmp_path, "#a", "aaaa")
    second, second_chat = executor(tmp_path, "#b", "bbbb")
    said(first, 1, "alice", "#startmeeting dup")
    said(second, 2, "carol", "#startmeeting dup")
    said(first, 3, "alice", "#endmeeting")
    said(second, 4, "carol", "#endmeeting")
    base = "dup/2026/dup.2026-03-04-10.00"
    stem = tmp_path / f"{base}-2"
    data = json.loads(stem.with_name(stem.name + ".json").read_text(encoding="utf-8"))
    assert data["meeting"]["log_url"] == f"https://m.example.org/{base}-2.log.html"
    assert data["meeting"]["log_basename"] == "dup.2026-03-04-10.00-2"
    assert data["meeting"]["id"] == "bbbb0001"
    text = stem.with_name(stem.name + ".txt").read_text(encoding="utf-8")
    assert f"{base}-2.log.html" in text and f"{base}.log.html" not in text
    html = stem.with_name(stem.name + ".html").read_text(encoding="utf-8")
    assert "dup.2026-03-04-10.00-2.log.html" in html and 'dup.2026-03-04-10.00.log.html"' not in html
    assert "<carol> #startmeeting dup" in stem.with_name(stem.name + ".log.txt").read_text(encoding="utf-8")
    assert first_chat.said[-3:] == announce_lines(f"https://m.example.org/{base}")
    assert second_chat.said[-3:] == announce_lines(f"https://m.example.org/{base}-2")


def test_identical_first_lines_never_merge_two_meetings(tmp_path: Path) -> None:
    """Same second, same nick, same text: two meetings all the same (once taken for one, the second overwrote)."""
    first, _ = executor(tmp_path, "#a", "aaaa")
    second, _ = executor(tmp_path, "#a", "bbbb")
    for run, words in ((first, "first words"), (second, "second words")):
        said(run, 1, "alice", "#startmeeting same")
        said(run, 2, "alice", words)
        said(run, 3, "alice", "#endmeeting")
    logs = sorted(tmp_path.glob("same/2026/*.log.txt"))
    assert [p.name for p in logs] == ["same.2026-03-04-10.00-2.log.txt", "same.2026-03-04-10.00.log.txt"]
    assert "second words" in logs[0].read_text(encoding="utf-8")
    assert "first words" in logs[1].read_text(encoding="utf-8")


def test_save_then_end_and_a_rename_keep_to_the_meeting_s_own_names(tmp_path: Path) -> None:
    run, chat = executor(tmp_path, "#a", "aaaa", url_base="")
    said(run, 1, "alice", "#startmeeting weekly")
    said(run, 2, "alice", "#save")
    said(run, 3, "alice", "#save")  # its own name again, not -2
    said(run, 4, "alice", "#meetingname renamed later")
    said(run, 65, "alice", "#endmeeting")
    # The #save copies under the old name are gone with their claim: only the meeting's final files stay.
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.glob("*/2026/*")) == [
        f"renamed_later/2026/renamed_later.2026-03-04-10.00{extension}"
        for extension in (".html", ".json", ".log.html", ".log.txt", ".md", ".txt")
    ]
    assert [p.name for p in (tmp_path / CLAIMS_DIR).rglob("*.meeting")] == ["renamed_later.2026-03-04-10.00.meeting"]
    # Without a URL base the bot names the files by their path in the tree; the start time names them, in UTC.
    assert chat.said[-3:] == announce_lines("renamed_later/2026/renamed_later.2026-03-04-10.00")


def test_files_without_a_claim_are_never_overwritten(tmp_path: Path) -> None:
    """A tree written by MeetBot or an older gavel has no claims: its files stay, the meeting takes -2."""
    old = tmp_path / "dup/2026/dup.2026-03-04-10.00.log.txt"
    old.parent.mkdir(parents=True)
    old.write_text("MeetBot's log\n", encoding="utf-8")
    run, _ = executor(tmp_path, "#a", "aaaa")
    said(run, 1, "alice", "#startmeeting dup")
    said(run, 2, "alice", "#endmeeting")
    assert old.read_text(encoding="utf-8") == "MeetBot's log\n"
    assert (tmp_path / "dup/2026/dup.2026-03-04-10.00-2.log.txt").exists()


def test_a_claim_for_nobody_keeps_the_name_taken(tmp_path: Path) -> None:
    claim = tmp_path / CLAIMS_DIR / "dup/2026/dup.2026-03-04-10.00.meeting"
    claim.parent.mkdir(parents=True)
    claim.write_text("\n", encoding="utf-8")  # what a name holding another program's files is claimed as
    run, _ = executor(tmp_path, "#a", "aaaa")
    said(run, 1, "alice", "#startmeeting dup")
    said(run, 2, "alice", "#endmeeting")
    assert not (tmp_path / "dup/2026/dup.2026-03-04-10.00.log.txt").exists()
    assert (tmp_path / "dup/2026/dup.2026-03-04-10.00-2.log.txt").exists()


def test_another_meeting_s_claim_is_never_replaced(tmp_path: Path) -> None:
    """Two processes wanting one name: whoever links a claim first has it; the other takes -2 (a claim is never
    empty or half-written, so it is never taken for a crash leftover)."""
    claim = tmp_path / CLAIMS_DIR / "dup/2026/dup.2026-03-04-10.00.meeting"
    claim.parent.mkdir(parents=True)
    claim.write_text("bbbb0001\n", encoding="utf-8")  # the other process, whose files are not written yet
    run, _ = executor(tmp_path, "#a", "aaaa")
    said(run, 1, "alice", "#startmeeting dup")
    said(run, 2, "alice", "#endmeeting")
    assert claim.read_text(encoding="utf-8") == "bbbb0001\n"
    assert (tmp_path / "dup/2026/dup.2026-03-04-10.00-2.log.txt").exists()


def test_files_of_an_older_gavel_with_our_first_line_are_ours(tmp_path: Path) -> None:
    """Replaying a log into a tree written before claims existed rewrites its files (the older rule: same first
    log line), rather than adding a -2 copy of every meeting."""
    log = write_log(tmp_path / "dup.2026-03-04-10.00.log.txt", "hello")
    out = tmp_path / "out"
    old = out / "dup/2026/dup.2026-03-04-10.00.log.txt"
    old.parent.mkdir(parents=True)
    old.write_text("10:00:01 <alice> #startmeeting dup\nan older rendering\n", encoding="utf-8")
    assert [m.basename for m in replay_file(log, ReplayOptions(output_dir=out)).meetings] == [
        "dup/2026/dup.2026-03-04-10.00"
    ]
    assert old.read_text(encoding="utf-8") == log.read_text(encoding="utf-8").rstrip("\n")  # rewritten


def test_save_then_restrict_leaves_no_public_copy(tmp_path: Path) -> None:
    run, _ = executor(tmp_path, "#a", "aaaa")
    said(run, 1, "alice", "#startmeeting board")
    said(run, 2, "alice", "#save")
    said(run, 3, "alice", "#restrictlogs")
    said(run, 4, "alice", "#meetingname board private")
    said(run, 5, "alice", "#save")
    said(run, 6, "alice", "#endmeeting")
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files and all(p.stat().st_mode & 0o077 == 0 for p in files if "board" in p.name)
    assert not list(tmp_path.glob("board/2026/*"))


def write_log(path: Path, words: str) -> Path:
    path.write_text(
        f"10:00:01 <alice> #startmeeting dup\n10:00:02 <alice> {words}\n10:00:03 <alice> #endmeeting\n",
        encoding="utf-8",
    )
    return path


def test_replay_twice_rewrites_its_own_files_and_another_log_gets_its_own(tmp_path: Path) -> None:
    out = tmp_path / "out"
    options = ReplayOptions(output_dir=out)
    log = write_log(tmp_path / "dup.2026-03-04-10.00.log.txt", "hello")
    other_dir = tmp_path / "elsewhere"
    other_dir.mkdir()
    other = write_log(other_dir / "dup.2026-03-04-10.00.log.txt", "hello")  # the same lines, another log
    first = replay_file(log, options)
    again = replay_file(log, options)
    assert (
        [m.basename for m in first.meetings]
        == [m.basename for m in again.meetings]
        == ["dup/2026/dup.2026-03-04-10.00"]
    )
    assert [m.basename for m in replay_file(other, options).meetings] == ["dup/2026/dup.2026-03-04-10.00-2"]
    ids = {json.loads(p.read_text(encoding="utf-8"))["meeting"]["id"] for p in out.glob("dup/2026/*.json")}
    assert len(ids) == 2


def test_replay_ids_are_stable_per_file_and_differ_between_files(tmp_path: Path) -> None:
    a, b = tmp_path / "a.log.txt", tmp_path / "b.log.txt"
    first, again, other = replay_ids(a), replay_ids(a), replay_ids(b)
    assert [first(), first()] == [again(), again()]
    assert other() != replay_ids(a)()
    assert len(replay_ids(a)()) == 16 and all(c in "0123456789abcdef" for c in replay_ids(a)())


def test_a_restricted_meeting_s_claim_is_private(tmp_path: Path) -> None:
    run, _ = executor(tmp_path, "#a", "aaaa")
    said(run, 1, "alice", "#startmeeting secret")
    said(run, 2, "alice", "#restrictlogs")
    said(run, 3, "alice", "#endmeeting")
    (claim,) = (tmp_path / CLAIMS_DIR).rglob("*.meeting")
    assert claim.stat().st_mode & 0o077 == 0
    assert all(p.stat().st_mode & 0o077 == 0 for p in tmp_path.glob("secret/2026/*"))
    assert (tmp_path / CLAIMS_DIR).parent.stat().st_mode & 0o077 == 0  # no listing of the claims by a web server
    assert os.access(claim, os.R_OK)


def test_a_line_delivered_twice_is_kept_once(tmp_path: Path) -> None:
    """A Matrix sync repeated after a crash delivers events again: an id the meeting has already is dropped, before
    the journal (lines without an id, as on IRC without message ids, are all kept)."""
    from gavel.storage.journal import Journal, JournalDir

    chat = Chat()
    settings = MeetingSettings(channel="#a", bot_nick="gavel")
    journals = JournalDir(tmp_path / "journal")
    run = MeetingExecutor(
        lambda: settings,
        Outputs(output_dir=tmp_path / "out"),
        new_id=lambda: "aaaa0001",
        chat=chat,
        journals=lambda started, meeting_id, record: journals.create("n", "#a", started, meeting_id=meeting_id),
    )
    start = Message(T0, "alice", "#startmeeting twice", msgid="$1")
    line = Message(T0 + timedelta(seconds=1), "bob", "only once", msgid="$2")
    second = Message(T0 + timedelta(seconds=1), "bob", "the second line of $2", msgid="$2#2")
    plain = Message(T0 + timedelta(seconds=2), "bob", "no id")
    for event in (start, line, second, line, start, second, plain, plain):
        run.process(event)
    assert run.meeting.lines == 5
    assert run.journal is not None
    run.journal.sync()
    path = run.journal.path
    assert [e.text for e in Journal.read(path)[1] if isinstance(e, Message)] == [
        "#startmeeting twice",
        "only once",
        "the second line of $2",
        "no id",
        "no id",
    ]
    run.journal.close()
    again = MeetingExecutor(lambda: settings, Outputs(output_dir=tmp_path / "out"), new_id=lambda: "x")
    again.resume(path)
    again.journal = None
    assert again.meeting.lines == 5


def test_edits_redactions_and_replies_reach_the_files_and_survive_recovery(tmp_path: Path) -> None:
    """A redacted line is gone from every file (logs, minutes, the #save copy), an edit is its own line, a reply
    links to the line it answers; a meeting recovered from its journal ends the same."""
    from gavel.core.events import Edit, Redaction
    from gavel.storage.journal import JournalDir

    settings = MeetingSettings(channel="!room:x", bot_nick="gavel")
    journals = JournalDir(tmp_path / "journal")

    def make(out: str) -> MeetingExecutor:
        return MeetingExecutor(
            lambda: settings,
            Outputs(output_dir=tmp_path / out, snapshots=True),
            new_id=lambda: "aaaa0001",
            journals=lambda started, meeting_id, record: journals.create(
                "m", "!room:x", started, meeting_id=meeting_id
            ),
        )

    def at(seconds: int) -> datetime:
        return T0 + timedelta(seconds=seconds)

    run = make("live")
    events: list[Event] = [
        Message(at(0), "alice", "#startmeeting amend", "@a:x", "$0"),
        Message(at(1), "alice", "#info password is hunter2", "@a:x", "$1"),
        Message(at(2), "bob", "#info keep me", "@b:x", "$2"),
        Edit(at(3), "bob", "$2", "#info kept, edited", "@b:x", "$3"),
        Message(at(4), "bob", "wait, which one?", "@b:x", "$4", reply_to="$2"),
        Redaction(at(5), "alice", "$1", "@a:x", "$5"),
        Message(at(6), "alice", "#save", "@a:x", "$6"),
    ]
    for event in events:
        run.process(event)
    assert run.journal is not None
    path = run.journal.path
    saved = sorted((tmp_path / "live").rglob("*.log.txt"))
    assert saved and "hunter2" not in saved[0].read_text(encoding="utf-8")
    run.shutdown()

    again = make("recovered")
    again.resume(path)
    again.process(Message(at(7), "alice", "#endmeeting", "@a:x", "$7"))
    [written] = again.written
    texts = {p.name.split(".", 3)[-1]: p.read_text(encoding="utf-8") for p in written.paths}
    assert all("hunter2" not in text for text in texts.values())
    log = texts["log.txt"].split("\n")
    assert log[1].endswith("<alice> [redacted]") and log[3].endswith("-!- bob (edited line 3): #info kept, edited")
    assert '<a class="rel" href="#l-3">(reply to line 3)</a>' in texts["log.html"]
    assert '<a class="rel" href="#l-3">(edit of line 3)</a>' in texts["log.html"]
    assert texts["log.html"].count("[redacted]") == 1 and "alice redacted line 2" in texts["log.html"]
    assert "kept, edited (corrected)" in texts["txt"] and "hunter2" not in texts["html"]


def test_role_chairs_told_between_meetings_reach_the_journal_and_the_next_meeting(tmp_path: Path) -> None:
    from gavel.core.events import RoleChairs
    from gavel.storage.journal import Journal, JournalDir

    settings = MeetingSettings(channel="!room:x", bot_nick="gavel")
    journals = JournalDir(tmp_path / "journal")
    run = MeetingExecutor(
        lambda: settings,
        Outputs(output_dir=tmp_path / "out"),
        new_id=lambda: "aaaa0001",
        journals=lambda started, meeting_id, record: journals.create("m", "!room:x", started, meeting_id=meeting_id),
    )
    run.process(RoleChairs(T0, ("@mod:x",), ("Mod Erator",)))
    run.process(Message(T0, "alice", "#startmeeting", "@a:x", "$0"))
    assert run.journal is not None
    run.journal.sync()
    assert RoleChairs(T0, ("@mod:x",), ("Mod Erator",)) in Journal.read(run.journal.path)[1]
    import shutil

    copy = tmp_path / "copy.journal"  # (the live journal is locked by its executor)
    shutil.copy(run.journal.path, copy)
    again = MeetingExecutor(lambda: settings, Outputs(output_dir=tmp_path / "again"), new_id=lambda: "x")
    again.resume(copy)
    assert again.meeting.role_chairs() == ("@mod:x",)
    assert again.meeting.role_chair_nicks() == ("Mod Erator",)  # the log names them as it did before the crash
    run.process(Message(T0, "alice", "#endmeeting", "@a:x", "$1"))
    assert run.meeting.role_chairs() == ("@mod:x",)  # the next meeting knows it too
