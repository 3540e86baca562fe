"""Edits and redactions of lines said earlier in the meeting (Matrix ``m.replace`` and redactions).

Logs are append-only: an edit is a new log line (the new text, marked ``(edited line N)``, linked to line N in the
HTML log) and the original line stays as it was said. A redaction is the exception: the removed line reads
``[redacted]`` and every edit of it ``nick (edited line N): [redacted]`` in the logs when the meeting's files are
written (``ReplaceLine``), and a line says who redacted it.

``gavel replay`` of such a log applies them again: the replay transport reads an edit's or a redaction's log line
as that ``Edit`` or ``Redaction`` of a line by number (``events.row_event``, ``log_line_id``), and the meeting
remembers the lines they name (``Meeting.amended_lines``). A replayed edit or redaction that finds nothing to change
is kept in the log as it was.

What an edit does to the minutes, while the meeting runs (only the line's sender may edit it):

- a line that made an item (``#info``, ``#action`` ..., a link): the item takes the edited text, marked corrected,
  and an action the owners the edit names by reference (``Edit.mentions``), as if the line had been said so;
  edited into another item command it becomes that item (``#info`` -> ``#action``); edited into chat or into a
  command that makes no item, the item leaves the minutes;
- a chat line edited into an item command adds the item where the line was (a typo such as ``#ifno`` fixed);
- a ``#topic`` line edited into another ``#topic`` changes the topic (the items under it follow);
- no other command is ever run by an edit (``#endmeeting``, ``#chair`` ... act when said, never later), and a
  vote's line or a ``#done`` line keeps its record.

Each change is one ``#undo`` step. A redaction takes the items of the line (and of its edits) out of the minutes
for good: it cannot be undone, and the undo history forgets them too (the text is gone).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from gavel.core import commands
from gavel.core.effects import Effect, LineKind, LogLine, Relation, ReplaceLine
from gavel.core.events import Edit, Message, Redaction, log_line_id
from gavel.core.handlers import ITEM_COMMANDS, may_use
from gavel.core.records import Item, ItemKind, fold_nick, starts_with_url
from gavel.core.rows import BARE_PREFIXES

if TYPE_CHECKING:
    from gavel.core.meeting import Meeting

REDACTED = "[redacted]"
_LINE_ID = log_line_id(0)[:-1]  # "line ": the prefix of a replayed log's line ids
_KEPT = (ItemKind.VOTE, ItemKind.DONE)  # records an edit never changes


@dataclass(slots=True)
class SaidLine:
    """A line of the running meeting that has a message id (so it may be edited, redacted or answered)."""

    number: int
    time: datetime
    kind: LineKind
    nick: str
    account: str | None
    edit_of: int | None = None  # an edit's own line: the line it edits
    edits: list[tuple[int, datetime, str]] = field(default_factory=list)  # this line's edits: (line, time, nick)
    redacted: bool = False


def edited_text(nick: str, number: int, text: str) -> str:
    """What the log says of an edit of line ``number``."""
    return f"{nick} (edited line {number}): {text}"


def edit(meeting: Meeting, event: Edit) -> list[Effect]:
    """An edit of a line of this meeting by its own sender: logged, and the line's items follow it."""
    said = meeting.said.get(event.target)
    if said is None or said.edit_of is not None or said.redacted or not _same_sender(said, event):
        # not a line of this meeting, an edit of an edit's id, or someone else's line: ignored; but a replayed
        # log's edit line stays in the log as it was
        return _kept_as_logged(meeting, event, edited_text(event.nick, _number(event.target), event.text))
    text = edited_text(event.nick, said.number, event.text)
    line = meeting.log_line(event.time, LineKind.NICK, event.nick, text, Relation.EDIT, said.number)
    said.edits.append((line.number, line.time, event.nick))
    if event.msgid is not None:
        meeting.said[event.msgid] = SaidLine(
            line.number, event.time, LineKind.NICK, event.nick, event.account, said.number
        )
    effects: list[Effect] = [line]
    if said.kind is LineKind.MESSAGE and not meeting.is_bot(said.nick):
        _edit_items(meeting, said, event, effects)
    return effects


def redacted_text(nick: str, number: int) -> str:
    """What the log says of a redaction of line ``number``."""
    return f"{nick} redacted line {number}"


def _number(target: str) -> int:
    """The line number a replayed log's edit or redaction names (0: the target is a live message id)."""
    return int(target[len(_LINE_ID) :]) if target.startswith(_LINE_ID) and target[len(_LINE_ID) :].isdigit() else 0


def _kept_as_logged(meeting: Meeting, event: Edit | Redaction, text: str) -> list[Effect]:
    """A replayed log's edit or redaction line that finds nothing to change: logged as it was (a log loses no line);
    a live one (of a message id) is dropped, as before."""
    if _number(event.target) == 0:
        return []
    return [meeting.log_line(event.time, LineKind.NICK, event.nick, text, None, None)]


def _same_sender(said: SaidLine, event: Edit) -> bool:
    if said.account is not None or event.account is not None:
        return said.account == event.account
    return fold_nick(said.nick) == fold_nick(event.nick)


def _edit_items(meeting: Meeting, said: SaidLine, event: Edit, effects: list[Effect]) -> None:
    items = meeting.items
    at = [index for index, item in enumerate(items) if item.line == said.number]
    if any(items[index].kind is ItemKind.TOPIC for index in at):
        _edit_topic(meeting, at, event, effects)
        return
    if any(items[index].kind in _KEPT for index in at):
        return
    new = _item_of(meeting, event)
    old = at[0] if at else None
    changed = list(items)
    if old is not None and new is not None:
        item = items[old]
        kind, text, owners = new
        if (item.kind, item.text, item.owners) == new:
            return
        corrected = item.corrected_from or item.text if (item.kind, item.text) != (kind, text) else item.corrected_from
        changed[old] = replace(item, kind=kind, text=text, corrected_from=corrected, owners=owners)
    elif old is not None:
        del changed[old]
    elif new is not None:
        position = next((index for index, item in enumerate(items) if item.line > said.number), len(items))
        topic = items[position - 1].topic if position else None
        changed.insert(position, Item(new[0], new[1], said.nick, said.time, said.number, topic, owners=new[2]))
    else:
        return
    if new is not None:
        meeting.name_owners(new[2])
    meeting.rewrite_items(changed)


def _edit_topic(meeting: Meeting, at: list[int], event: Edit, effects: list[Effect]) -> None:
    parsed = commands.parse(event.text, maubot=meeting.settings.maubot_spellings)
    if parsed is None or parsed[0].name != "topic" or not parsed[1] or not may_use(meeting, parsed[0], _as_said(event)):
        return
    index = next(index for index in at if meeting.items[index].kind is ItemKind.TOPIC)
    if meeting.items[index].text != parsed[1]:
        meeting.correct_item(index, parsed[1])
        meeting.show_topic(effects)


def _item_of(meeting: Meeting, event: Edit) -> tuple[ItemKind, str, tuple[str, ...]] | None:
    """The item the edited text would have made when said: its kind, text and owners by reference (None: chat, or a
    command that makes none)."""
    text = event.text
    parsed = commands.parse(text, maubot=meeting.settings.maubot_spellings)
    if parsed is not None:
        command, arg = parsed
        kind = ITEM_COMMANDS.get(command.name)
        if kind is None or not arg or not may_use(meeting, command, _as_said(event)):
            return None
        return kind, arg, meeting.owners_of(kind, event.mentions)
    if not text.startswith(BARE_PREFIXES) and starts_with_url(text.lstrip()):
        return ItemKind.LINK, text.strip(), ()
    return None


def _as_said(event: Edit) -> Message:
    return Message(event.time, event.nick, event.text, event.account)


def redact(meeting: Meeting, event: Redaction) -> list[Effect]:
    """A redaction of a line of this meeting (every line of its message): ``[redacted]`` in the logs, its items
    gone from the minutes."""
    found: list[SaidLine] = []
    said = meeting.said.get(event.target)
    number = 2
    while said is not None:
        if not said.redacted:
            found.append(said)
        said = meeting.said.get(f"{event.target}#{number}")
        number += 1
    if not found:
        return _kept_as_logged(meeting, event, redacted_text(event.nick, _number(event.target)))
    effects: list[Effect] = []
    for said in found:
        said.redacted = True
        effects.append(ReplaceLine(LogLine(said.number, said.time, said.kind, said.nick, REDACTED)))
        for edit_number, time, nick in said.edits:  # still an edit of that line (a replay applies it again)
            text = edited_text(nick, said.number, REDACTED)
            blank = LogLine(edit_number, time, LineKind.NICK, nick, text, Relation.EDIT, said.number)
            effects.append(ReplaceLine(blank))
        meeting.forget_items(said.edit_of or said.number)
    first = found[0].number
    text = redacted_text(event.nick, first)
    line = meeting.log_line(event.time, LineKind.NICK, event.nick, text, Relation.REDACTION, first)
    return [line, *effects]


def without_line(items: list[Item], number: int) -> list[Item]:
    """``items`` without those of line ``number`` (a vote's record stays); the items under a removed topic fall
    under the topic before it."""
    result: list[Item] = []
    moved: str | None = None
    removed_topic = False
    for item in items:
        if item.line == number and item.kind is not ItemKind.VOTE:
            if item.kind is ItemKind.TOPIC:
                removed_topic, moved = True, (result[-1].topic if result else None)
            continue
        if item.kind is ItemKind.TOPIC:
            removed_topic = False
        elif removed_topic:
            item = replace(item, topic=moved)
        result.append(item)
    return result
