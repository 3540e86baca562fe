"""A Matrix meeting's replies, thread lines, edits and redactions are linked on the archive's meeting page as in
its ``.log.html``: the archive keeps each line's relation (both backends)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from starlette.testclient import TestClient

from gavel.app.archiving import archive_record
from gavel.app.executor import MeetingExecutor, Outputs
from gavel.core import Meeting, MeetingSettings, Message
from gavel.core.effects import LogLine, ReplaceLine
from gavel.core.events import Edit, Event, Redaction
from gavel.render.view import build_view
from gavel.storage.archive import Archive, open_archive
from gavel.web.app import create_app
from gavel.web.data import LOG_PAGE_LINES, log_line
from render_support import render_logs
from strategies import T0

A, B = "@alice:x", "@bob:x"
BASENAME = "relations.2024-05-01-09.00"


def matrix_meeting(chat_lines: int = 0) -> tuple[Meeting, list[LogLine]]:
    """A room meeting with a reply (line 3 to line 2), a thread line (4, thread of 2), an edit (6 of 5), a
    redaction (8 of 7), and a reply to a message from before the meeting (9); then ``chat_lines`` lines of chat and
    a reply to line 2 (so with enough chat it is on another page of the log)."""
    meeting = Meeting(MeetingSettings(channel="!room:x", bot_nick="gavelbot"))
    lines: list[LogLine] = []
    now = T0

    def feed(event: Event) -> None:
        for effect in meeting.handle(event):
            if isinstance(effect, LogLine):
                lines.append(effect)
            elif isinstance(effect, ReplaceLine):
                lines[effect.line.number - 1] = effect.line

    def say(
        nick: str, text: str, account: str, msgid: str, *, reply_to: str | None = None, thread: str | None = None
    ) -> None:
        nonlocal now
        now += timedelta(seconds=1)
        feed(Message(now, nick, text, account, msgid, reply_to, thread))

    say("alice", "#startmeeting relations", A, "$0")
    say("alice", "who takes the release?", A, "$q")
    say("bob", "#action bob takes it", B, "$r", reply_to="$q")
    say("bob", "in the thread", B, "$t", thread="$q")
    say("bob", "#info the relase is friday", B, "$i")
    feed(Edit(now, "bob", "$i", "#info the release is friday", B, "$e"))
    say("alice", "#info the password is hunter2", A, "$s")
    feed(Redaction(now, "alice", "$s", A, "$x"))
    say("bob", "about what you said yesterday", B, "$y", reply_to="$before")
    for number in range(chat_lines):
        say("alice", f"chat {number}", A, f"$c{number}")
    say("bob", "back to the release", B, "$z", reply_to="$q")
    say("alice", "#endmeeting", A, "$end")
    return meeting, lines


def store(archive: Archive, chat_lines: int = 0) -> tuple[int, list[LogLine]]:
    meeting, lines = matrix_meeting(chat_lines)
    view = build_view(meeting, log_basename=BASENAME)
    return archive.store(archive_record(view), lines), lines


def page(archive: Archive, query: str = "") -> str:
    client = TestClient(create_app(archive, token=None), raise_server_exceptions=True)
    response = client.get(f"/series/relations/{BASENAME}{query}")
    assert response.status_code == 200, response.text
    return response.text


def line_html(html: str, number: int) -> str:
    found = re.search(rf'<div class="ln" id="l-{number}">.*?</div>', html)
    assert found is not None, f"no line {number}"
    return found.group(0)


def test_the_meeting_page_links_replies_threads_edits_and_redactions(archive_url: str) -> None:
    with open_archive(archive_url) as archive:
        store(archive)
        html = page(archive)
    assert line_html(html, 3).endswith(' <a class="rel" href="#l-2">(reply to line 2)</a></div>')
    assert line_html(html, 4).endswith(' <a class="rel" href="#l-2">(in the thread of line 2)</a></div>')
    assert line_html(html, 6).endswith(' <a class="rel" href="#l-5">(edit of line 5)</a></div>')
    assert line_html(html, 8).endswith(' <a class="rel" href="#l-7">(redaction of line 7)</a></div>')
    assert line_html(html, 9).endswith(' <span class="rel">(reply)</span></div>')
    assert 'class="rel"' not in line_html(html, 2) + line_html(html, 5) + line_html(html, 7)
    assert "hunter2" not in html


def test_the_archive_gives_back_the_lines_as_the_log_html_had_them(archive_url: str) -> None:
    """What ``gavel export`` writes from the archive is the live ``.log.html``, relations and all."""
    with open_archive(archive_url) as archive:
        meeting_id, lines = store(archive)
        archived = [log_line(row) for row in archive.log_lines(meeting_id)]
    assert archived == lines
    assert render_logs(archived) == render_logs(lines)


def test_a_reply_to_a_line_on_another_page_links_to_that_page(tmp_path: Path) -> None:
    with open_archive(f"sqlite://{tmp_path}/archive.db") as archive:
        _, lines = store(archive, chat_lines=LOG_PAGE_LINES)
        reply = next(line for line in lines if line.text == "back to the release")
        assert reply.number > LOG_PAGE_LINES
        html = page(archive, f"?from={reply.number}")
    expected = ' <a class="rel" href="?from=1#l-2">(reply to line 2)</a></div>'
    assert line_html(html, reply.number).endswith(expected)


def test_storing_a_meeting_again_replaces_its_relations(archive_url: str) -> None:
    with open_archive(archive_url) as archive:
        meeting_id, lines = store(archive)
        meeting, _ = matrix_meeting()
        view = build_view(meeting, log_basename=BASENAME)
        plain = [LogLine(line.number, line.time, line.kind, line.nick, line.text) for line in lines]
        assert archive.store(archive_record(view), plain) == meeting_id
        assert all(row.relation is None for row in archive.log_lines(meeting_id))


def test_the_live_path_archives_the_relations_its_log_html_shows(tmp_path: Path) -> None:
    """Through the executor (as the live bot and recovery run): the archive's lines render to the same
    ``.log.html`` the bot wrote."""
    settings = MeetingSettings(channel="!room:x", bot_nick="gavel")
    with open_archive(f"sqlite://{tmp_path}/archive.db") as archive:
        stored: list[int] = []
        outputs = Outputs(
            output_dir=tmp_path / "out", archive=lambda meeting, parsed: stored.append(parsed.store(archive))
        )
        run = MeetingExecutor(lambda: settings, outputs, new_id=lambda: "aaaa0001")
        for event in (
            Message(T0, "alice", "#startmeeting live", A, "$0"),
            Message(T0, "alice", "who?", A, "$1"),
            Message(T0, "bob", "me", B, "$2", reply_to="$1"),
            Edit(T0, "bob", "$2", "me, tomorrow", B, "$3"),
            Message(T0, "alice", "#endmeeting", A, "$4"),
        ):
            run.process(event)
        [meeting_id] = stored
        archived = [log_line(row) for row in archive.log_lines(meeting_id)]
    [written] = run.written
    [log_html] = [path for path in written.paths if path.name.endswith(".log.html")]
    _, rendered = render_logs(archived, title="!room:x log")
    assert rendered == log_html.read_text(encoding="utf-8")
    assert "(reply to line 2)</a>" in rendered and "(edit of line 3)</a>" in rendered
