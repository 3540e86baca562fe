"""What each ``#command`` does; who may use it is the registry's (``commands.py``).

Item commands (``#info``, ``#action`` ...) add a minutes item of their kind; every other command has a
handler here, which changes the meeting through its methods and says what the bot replies.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from gavel.core import agenda_commands, bare, replies
from gavel.core.agenda import is_number
from gavel.core.commands import Command, Permission
from gavel.core.corrections import PREFIX as CORRECTION_PREFIX
from gavel.core.corrections import parse_correction
from gavel.core.effects import Effect, SaveMinutes
from gavel.core.events import Message
from gavel.core.naming import normalize_name
from gavel.core.records import ItemKind, fold_nick
from gavel.core.votes import Vote, parse_startvote

if TYPE_CHECKING:
    from gavel.core.meeting import Meeting

ITEM_COMMANDS: dict[str, ItemKind] = {
    "info": ItemKind.INFO,
    "idea": ItemKind.IDEA,
    "help": ItemKind.HELP,
    "link": ItemKind.LINK,
    "action": ItemKind.ACTION,
    "agreed": ItemKind.AGREED,
    "accepted": ItemKind.ACCEPTED,
    "rejected": ItemKind.REJECTED,
}

Handler = Callable[["Meeting", str, Message, list[Effect]], None]
"""``handler(meeting, argument, message, effects)``: carry out the command, appending the effects."""


def run(meeting: Meeting, command: Command, arg: str, event: Message, effects: list[Effect]) -> None:
    """Carry out ``#command arg`` said in ``event``, or refuse it."""
    if not may_use(meeting, command, event):
        meeting.say(effects, replies.refused(event.nick, command, meeting.settings))
        return
    kind = ITEM_COMMANDS.get(command.name)
    if kind is None:
        HANDLERS[command.name](meeting, arg, event, effects)
    elif not arg:
        meeting.say(effects, replies.usage(event.nick, f"#{command.name} {command.usage}"))
    else:
        meeting.add_item(kind, arg, event)


def run_bare(meeting: Meeting, text: str, event: Message, effects: list[Effect]) -> None:
    """A line that starts like a bare command (core/bare.py): a correction, ``q+`` ... When someone who is not a
    chair says a chair's bare command (``ack ...``), it is taken for chat: no reply."""
    if text.startswith(CORRECTION_PREFIX):
        correct_own(meeting, text, event, effects)
        return
    parsed = bare.parse(text)
    if parsed is not None and may_use(meeting, parsed[0], event):
        HANDLERS[parsed[0].name](meeting, parsed[1], event, effects)


_ANYONE = Permission.ANYONE  # (read for every command line: a module constant costs a fraction of the enum's)


def may_use(meeting: Meeting, command: Command, event: Message) -> bool:
    if command.permission is _ANYONE or meeting.is_chair(event.nick, event.account):
        return True
    settings = meeting.settings
    if command.permission is Permission.CHAIR_OR_OVERTIME and settings.overtime_end_by_anyone:
        length, start = settings.length_minutes, meeting.started_at
        return bool(length and start and event.time - start >= timedelta(minutes=length))
    return False


def nick_list(arg: str) -> list[str]:
    """The nicks in ``alice, bob carol``."""
    return [nick for nick in arg.replace(",", " ").split() if nick]


# ---------------------------------------------------------------------------- the meeting


def refuse_second_start(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    meeting.say(effects, replies.already_started(event.nick, meeting.started_at))


def end_meeting(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    effects.extend(meeting.end(event.time, "endmeeting"))


def set_meeting_topic(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    meeting.title = None if arg.lower() in ("", "none", "unset") else arg
    meeting.show_topic(effects)


def set_meeting_name(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    name = normalize_name(arg)
    if not name:
        meeting.say(effects, replies.name_kept(event.nick, meeting.name))
        return
    meeting.name = name
    meeting.say(effects, replies.name_set(name))


def save(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    effects.append(SaveMinutes(event.time))


def lurk(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    meeting.lurking = True


def unlurk(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    meeting.lurking = False


def restrict_logs(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    meeting.restricted = True
    meeting.say(effects, replies.restricted())


def list_commands(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    meeting.say(effects, replies.available_commands())


# ---------------------------------------------------------------------------- people and chairs


def add_nicks(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    for nick in nick_list(arg):
        meeting.add_nick(nick)


def add_chairs(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    for nick in nick_list(arg):
        meeting.add_chair(nick)
    meeting.say(effects, replies.current_chairs(meeting.chairs))


def remove_chairs(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    owner = fold_nick(meeting.owner)
    kept_owner = False
    for nick in nick_list(arg):
        if fold_nick(nick) == owner:
            kept_owner = True
        else:
            meeting.remove_chair(nick)
    meeting.say(effects, replies.current_chairs(meeting.chairs, meeting.owner if kept_owner else None))


# ---------------------------------------------------------------------------- minutes items


def set_topic(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    if not arg:
        meeting.say(effects, replies.usage(event.nick, "#topic <topic>"))
        return
    meeting.add_item(ItemKind.TOPIC, arg, event)
    meeting.show_topic(effects)


def undo(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    topic = meeting.current_topic
    undone = meeting.undo_last()
    if undone is None:
        meeting.say(effects, replies.nothing_to_undo(event.nick))
    elif undone.agenda is not None and undone.item is None:
        meeting.say(effects, replies.agenda_restored())
    elif undone.attendance is not None:
        meeting.say(effects, replies.attendance_restored())
    elif undone.items is not None and undone.edited:
        meeting.say(effects, replies.edit_undone())
        if meeting.current_topic != topic:
            meeting.show_topic(effects)
    elif undone.items is not None:
        meeting.say(effects, replies.correction_undone(undone.index + 1, undone.items[undone.index]))
        if meeting.current_topic != topic:
            meeting.show_topic(effects)
    elif undone.item is not None:
        meeting.say(effects, replies.removed(undone.item))
        if undone.item.kind is ItemKind.TOPIC:
            meeting.show_topic(effects)


# ---------------------------------------------------------------------------- attendance


def declare_present(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    """``#present+ [nick ...]`` and ``#here``: without nicks, the speaker."""
    nicks = [nick for nick in nick_list(arg) if not meeting.is_bot(nick)] or [event.nick]
    attendance = meeting.change_attendance()
    for nick in nicks:
        attendance.add_present(nick)
    meeting.say(effects, replies.present(meeting.present()))


def here(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    declare_present(meeting, "", event, effects)


def withdraw_present(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    nicks = nick_list(arg)
    if not nicks:
        meeting.say(effects, replies.usage(event.nick, "#present- <nick> [nick ...]"))
        return
    unknown = [nick for nick in nicks if fold_nick(nick) not in meeting.attendance.declared]
    if unknown:
        meeting.say(effects, replies.not_declared(event.nick, unknown))
    known = [nick for nick in nicks if nick not in unknown]
    if known:
        attendance = meeting.change_attendance()
        for nick in known:
            attendance.remove_present(nick)
        meeting.say(effects, replies.present(meeting.present()))


def add_regrets(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    nicks = nick_list(arg)
    if not nicks:
        meeting.say(effects, replies.usage(event.nick, "#regrets+ <nick> [nick ...]"))
        return
    attendance = meeting.change_attendance()
    for nick in nicks:
        attendance.add_regrets(nick)
    meeting.say(effects, replies.regrets(meeting.regrets()))


# ---------------------------------------------------------------------------- corrections


def correct_own(meeting: Meeting, text: str, event: Message, effects: list[Effect]) -> None:
    """A line ``s/old/new/``: the speaker's latest item containing ``old`` (under any nick they had)."""
    correction = parse_correction(text)
    if correction is None:
        return
    if not correction.old:
        meeting.say(effects, replies.empty_correction(event.nick))
        return
    mine = meeting.nicks_of(event.nick)
    for index in range(len(meeting.items) - 1, -1, -1):
        item = meeting.items[index]
        if fold_nick(item.nick) in mine and correction.old in item.text:
            corrected = meeting.correct_item(index, correction.apply(item.text))
            meeting.say(effects, replies.corrected(index + 1, corrected))
            return
    meeting.say(effects, replies.no_item_to_correct(event.nick, correction.old, own=True))


def fix(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    """``#fix N s/old/new/``: a chair corrects any item."""
    number, _, rest = arg.partition(" ")
    correction = parse_correction(rest.strip())
    if not is_number(number) or correction is None:
        meeting.say(effects, replies.usage(event.nick, "#fix <N> s/old/new/"))
        return
    if not correction.old:
        meeting.say(effects, replies.empty_correction(event.nick))
        return
    index = int(number) - 1
    if not 0 <= index < len(meeting.items):
        meeting.say(effects, replies.no_such_item(event.nick, number, len(meeting.items)))
        return
    item = meeting.items[index]
    if correction.old not in item.text:
        meeting.say(effects, replies.no_item_to_correct(event.nick, correction.old, own=False))
        return
    topic = meeting.current_topic
    corrected = meeting.correct_item(index, correction.apply(item.text))
    meeting.say(effects, replies.corrected(index + 1, corrected))
    if meeting.current_topic != topic:
        meeting.show_topic(effects)


def mark_done(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    """``#done 2`` or ``#done some words``: an open action item of an earlier meeting is done."""
    actions = meeting.series_open_actions
    if not arg:
        meeting.say(effects, replies.usage(event.nick, "#done <number or text>"))
        return
    if not actions:
        meeting.say(effects, replies.no_open_actions(event.nick))
        return
    done = meeting.done_refs()
    if arg.isdigit():
        number = int(arg)
        matches = [number] if 1 <= number <= len(actions) else []
    else:
        wanted = arg.casefold()
        matches = [n for n, a in enumerate(actions, 1) if wanted in a.text.casefold() and a.ref not in done]
    if len(matches) != 1:
        meeting.say(effects, replies.not_one_match(event.nick, arg, matches, actions))
        return
    action = actions[matches[0] - 1]
    if action.ref in done:
        meeting.say(effects, replies.already_done(event.nick, matches[0]))
        return
    meeting.add_item(ItemKind.DONE, action.text, event, ref=action.ref)
    meeting.say(effects, replies.marked_done(matches[0], action))


# ---------------------------------------------------------------------------- votes


def start_vote(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    if meeting.open_vote is not None:
        meeting.say(effects, replies.vote_already_open(event.nick, meeting.open_vote))
        return
    question, options = parse_startvote(arg)
    if not question:
        meeting.say(effects, replies.usage(event.nick, "#startvote <question>? [option, option, ...]"))
        return
    meeting.open_vote = Vote(question, options, event.nick, event.time, meeting.lines)
    meeting.say(effects, replies.voting_begins(question, options))
    meeting.say(effects, replies.how_to_vote())


def cast_vote(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    vote = meeting.open_vote
    if vote is None:
        meeting.say(effects, replies.no_vote(event.nick))
        return
    option = vote.option_for(arg)
    if option is None:
        meeting.say(effects, replies.not_an_option(event.nick, arg, vote))
        return
    vote.cast(event.nick, option)


def show_vote(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    vote = meeting.open_vote
    meeting.say(effects, replies.no_vote(event.nick) if vote is None else replies.votes_so_far(vote))


def end_vote(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    vote = meeting.open_vote
    if vote is None:
        meeting.say(effects, replies.no_vote(event.nick))
        return
    meeting.open_vote = None
    vote.ended = event.time
    meeting.say(effects, replies.vote_result(vote))
    meeting.add_item(ItemKind.VOTE, vote.result_text(), event, vote=vote)


HANDLERS: dict[str, Handler] = {
    "startmeeting": refuse_second_start,
    "endmeeting": end_meeting,
    "meetingtopic": set_meeting_topic,
    "meetingname": set_meeting_name,
    "save": save,
    "lurk": lurk,
    "unlurk": unlurk,
    "restrictlogs": restrict_logs,
    "commands": list_commands,
    "present+": declare_present,
    "here": here,
    "present-": withdraw_present,
    "regrets+": add_regrets,
    "fix": fix,
    "nick": add_nicks,
    "chair": add_chairs,
    "unchair": remove_chairs,
    "topic": set_topic,
    "undo": undo,
    "done": mark_done,
    "startvote": start_vote,
    "vote": cast_vote,
    "showvote": show_vote,
    "endvote": end_vote,
    **agenda_commands.HANDLERS,
}
