"""What the bot says in the channel: every reply text, as MeetBot worded it where MeetBot had one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from gavel.core import commands
from gavel.core.agenda import Agenda, Agendum, Timebox
from gavel.core.commands import Command, Permission
from gavel.core.events import OpenAction
from gavel.core.records import Item
from gavel.core.settings import MeetingSettings
from gavel.core.votes import Vote


def local_asctime(moment: datetime, zone: tzinfo) -> str:
    """``Wed Mar 16 15:30:39 2016 CET``: MeetBot's reply time, in ``zone``."""
    local = moment.astimezone(zone)
    return f"{asctime(local)} {local.tzname() or 'UTC'}"


def asctime(moment: datetime) -> str:
    """``Wed Mar 16 14:30:39 2016``, as MeetBot prints it."""
    return f"{moment:%a %b} {moment.day:2d} {moment:%H:%M:%S %Y}"


# ---------------------------------------------------------------------------- the meeting's start and end


def started(time: datetime, chair: str, settings: MeetingSettings) -> str:
    return (
        f"Meeting started {local_asctime(time, settings.timezone)} and is due to finish in "
        f"{settings.length_minutes} minutes.  The chair is {chair}. "
        f"Information about gavel at {settings.info_url}."
    )


def useful_commands() -> str:
    return f"Useful Commands: {commands.useful_commands()}."


def already_started(nick: str, started_at: datetime | None) -> str:
    started = started_at.strftime("%H:%M:%S") if started_at else "?"
    return f"{nick}: a meeting is already in progress here (started {started} UTC)."


def ended(time: datetime, settings: MeetingSettings) -> str:
    return f"Meeting ended {local_asctime(time, settings.timezone)}.  Information about gavel at {settings.info_url} ."


def ended_overlong(minutes: int) -> str:
    return f"Meeting ended automatically after {minutes} minutes."


def ended_idle(minutes: int) -> str:
    return f"Meeting ended automatically after {minutes} minutes without activity."


# ---------------------------------------------------------------------------- commands in general


def refused(nick: str, command: Command, settings: MeetingSettings) -> str:
    reason = f"{nick}: only chairs can {command.verb}"
    overtime = settings.overtime_end_by_anyone and settings.length_minutes
    if command.permission is Permission.CHAIR_OR_OVERTIME and overtime:
        reason += f" (anyone can once it has run {settings.length_minutes} minutes)"
    return reason + "."


def usage(nick: str, command_line: str) -> str:
    """``command_line``: the command and its arguments, as ``#topic <topic>``."""
    return f"{nick}: usage: {command_line}"


def available_commands() -> str:
    return "Available commands: " + commands.available_commands()


# ---------------------------------------------------------------------------- the meeting's name, chairs, minutes


def name_set(name: str) -> str:
    return f"The meeting name has been set to '{name}'"


def name_kept(nick: str, name: str) -> str:
    return f"{nick}: a meeting name needs letters or digits; it stays '{name}'."


def current_chairs(chairs: Sequence[str], kept_owner: str | None = None) -> str:
    """The chairs now; ``kept_owner``: the owner, whom someone tried to unchair."""
    text = "Current chairs: " + " ".join(chairs)
    if kept_owner is not None:
        text += f" (the owner, {kept_owner}, cannot be unchaired)"
    return text


def nothing_to_undo(nick: str) -> str:
    return f"{nick}: there is nothing to undo."


def removed(item: Item) -> str:
    return f"Removing item from minutes: {item.kind.label}: {item.text}"


def restricted() -> str:
    return "The logs and minutes of this meeting are restricted: they will not be published."


# ---------------------------------------------------------------------------- votes


def vote_already_open(nick: str, vote: Vote) -> str:
    return f"{nick}: a vote is already open: {vote.question}"


def voting_begins(question: str, options: Sequence[str]) -> str:
    return f"Begin voting on: {question} Valid vote options are {', '.join(options)}."


def how_to_vote() -> str:
    return "Vote using '#vote OPTION'. Only your last vote counts."


def no_vote(nick: str) -> str:
    return f"{nick}: there is no vote in progress."


def not_an_option(nick: str, arg: str, vote: Vote) -> str:
    return f"{nick}: '{arg}' is not a valid option. Valid options are {', '.join(vote.options)}."


def votes_so_far(vote: Vote) -> str:
    return f"{vote.question} {vote.summary()}"


def vote_result(vote: Vote) -> str:
    return f'Voted on "{vote.question}" Results are: {vote.summary()}'


# ---------------------------------------------------------------------------- action items of earlier meetings


def open_actions(series: str) -> str:
    return f"Open action items from earlier {series} meetings (#done <number> when one is done):"


def open_action(number: int, action: OpenAction) -> str:
    return f"[{number}] {action.text}"


def more_open_actions(hidden: int) -> str:
    return f"... and {hidden} more (see the series page of the archive)."


def no_open_actions(nick: str) -> str:
    return f"{nick}: there are no open action items from earlier meetings."


def not_one_match(nick: str, arg: str, matches: Sequence[int], actions: Sequence[OpenAction]) -> str:
    """``#done arg`` matched none or several of ``actions`` (``matches``: their numbers, from 1)."""
    listed = ", ".join(f"[{n}] {actions[n - 1].text}" for n in matches[:3])
    problem = f"{len(matches)} open items match" if matches else "no open item matches"
    return f"{nick}: {problem} '{arg}'" + (f": {listed}" if listed else "") + "."


def already_done(nick: str, number: int) -> str:
    return f"{nick}: [{number}] is already marked done."


def marked_done(number: int, action: OpenAction) -> str:
    return f"Marked done: [{number}] {action.text}"


# ---------------------------------------------------------------------------- attendance and corrections


def present(nicks: Sequence[str]) -> str:
    return f"Present: {', '.join(nicks)}"


def not_declared(nick: str, nicks: Sequence[str]) -> str:
    return f"{nick}: {', '.join(nicks)} had not been declared present."


def regrets(nicks: Sequence[str]) -> str:
    return f"Regrets: {', '.join(nicks)}"


def attendance_restored() -> str:
    return "Undid the last change to attendance."


def corrected(number: int, item: Item) -> str:
    label = f"{item.kind.label}: " if item.kind.label else ""
    return f"Corrected item {number}: {label}{item.text}"


def correction_undone(number: int, item: Item) -> str:
    return f"Undid the correction of item {number}: {item.text}"


def edit_undone() -> str:
    return "Undid what an edited line changed in the minutes"


def empty_correction(nick: str) -> str:
    return f"{nick}: nothing to replace: say s/old text/new text/"


def no_item_to_correct(nick: str, old: str, own: bool) -> str:
    whose = "of yours " if own else ""
    return f"{nick}: no item {whose}contains {old!r}; nothing was changed."


def no_such_item(nick: str, number: str, count: int) -> str:
    return f"{nick}: there is no item {number} (the minutes have {count} items, numbered from 1)."


# ---------------------------------------------------------------------------- the agenda and the timebox


def _minutes(minutes: int) -> str:
    return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"


def agendum_added(agendum: Agendum) -> str:
    return f"Agendum {agendum.number} added: {agendum.title}"


def agendum_retitled(agendum: Agendum) -> str:
    return f"Agendum {agendum.number} is now: {agendum.title}"


def agendum_skipped(agendum: Agendum) -> str:
    return f"Agendum {agendum.number} skipped: {agendum.title}"


def agendum_taken(agendum: Agendum) -> str:
    return f"Agendum {agendum.number} taken up: {agendum.title}"


def agenda_empty() -> str:
    return "The agenda is empty; add to it with #agenda+ <text>."


def agenda_lines(agenda: Agenda, now: datetime) -> list[str]:
    """``#agenda``: a heading, then each agendum numbered with its status (and time, once taken up)."""
    if not agenda.items:
        return [agenda_empty()]
    lines = ["Agenda:"]
    for agendum in agenda.items:
        spent = agenda.spent(agendum, now)
        time = ""
        if agendum.taken_at is not None:
            time = f", {round(spent.total_seconds() / 60)} min"
            if agendum.timebox_minutes is not None:
                time += f" of {agendum.timebox_minutes}"
        lines.append(f"{agendum.number}. {agendum.title} [{agendum.status.value}{time}]")
    return lines


def no_such_agendum(nick: str, number: str, count: int) -> str:
    return f"{nick}: there is no agendum {number}; the agenda has {count}."


def agendum_closed_already(nick: str, agendum: Agendum) -> str:
    return f"{nick}: agendum {agendum.number} is {agendum.status.value} already."


def agendum_current_already(nick: str, agendum: Agendum) -> str:
    return f"{nick}: agendum {agendum.number} is the current one already."


def no_open_agendum(closed: Agendum | None) -> str:
    done = f"Agendum {closed.number} closed; " if closed is not None else ""
    return f"{done}no open agendum is left."


def agenda_restored() -> str:
    return "Undid the last change to the agenda."


def timebox_usage(nick: str, most: int) -> str:
    return f"{nick}: usage: #timebox <minutes>, a whole number from 1 to {most}."


def no_topic_to_timebox(nick: str) -> str:
    return f"{nick}: there is no topic to timebox; set one with #topic or #take first."


def timebox_set(box: Timebox, left: int) -> str:
    return f"Timebox for {box.topic}: {_minutes(box.minutes)} ({_minutes(left)} left)."


def minutes_left(left: int, topic: str) -> str:
    return f"{_minutes(left)} left for {topic}"


def time_is_up(topic: str) -> str:
    return f"Time is up for {topic}."


# ---------------------------------------------------------------------------- the speaker queue


def not_queued(nick: str) -> str:
    return f"{nick}: you were not on the queue."


def queue(entries: Sequence[tuple[str, str]]) -> str:
    if not entries:
        return "The queue is empty."
    return "Queue: " + ", ".join(f"{nick} ({note})" if note else nick for nick, note in entries)


def floor(nick: str, note: str) -> str:
    return f"{nick} has the floor" + (f" ({note})." if note else ".")
