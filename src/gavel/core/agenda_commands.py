"""What the agenda, timebox and speaker-queue commands do (who may use them is the registry's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from gavel.core import replies
from gavel.core.agenda import Agendum, Status, is_number
from gavel.core.commands import AGENDA_EDIT
from gavel.core.effects import Effect
from gavel.core.events import Message

if TYPE_CHECKING:
    from gavel.core.meeting import Meeting

MAX_TIMEBOX_MINUTES = 24 * 60


def _agendum(meeting: Meeting, arg: str, event: Message, effects: list[Effect], usage: str) -> Agendum | None:
    """The agendum numbered ``arg``, or None after telling the speaker what is wrong."""
    if not is_number(arg):
        meeting.say(effects, replies.usage(event.nick, usage))
        return None
    agendum = meeting.agenda.get(int(arg))
    if agendum is None:
        meeting.say(effects, replies.no_such_agendum(event.nick, arg, len(meeting.agenda.items)))
    return agendum


# ---------------------------------------------------------------------------- the agenda


def add_agendum(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    if not arg:
        meeting.say(effects, replies.usage(event.nick, "#agenda+ <text>"))
        return
    agendum = meeting.change_agenda().add(arg, event.nick, meeting.lines, event.time)
    meeting.say(effects, replies.agendum_added(agendum))


def agenda(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    """``#agenda`` lists the agenda; ``#agenda N = text`` (chairs) retitles agendum N."""
    if not arg:
        for line in replies.agenda_lines(meeting.agenda, event.time):
            meeting.say(effects, line)
        return
    if not meeting.is_chair(event.nick, event.account):
        meeting.say(effects, replies.refused(event.nick, AGENDA_EDIT, meeting.settings))
        return
    number, equals, title = arg.partition("=")
    usage = "#agenda <N> = <text>"
    if not equals or not title.strip():
        meeting.say(effects, replies.usage(event.nick, usage))
        return
    if _agendum(meeting, number.strip(), event, effects, usage) is not None:
        agendum = meeting.change_agenda().retitle(int(number), title.strip())
        meeting.say(effects, replies.agendum_retitled(agendum))


def skip_agendum(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    agendum = _agendum(meeting, arg, event, effects, "#agenda- <N>")
    if agendum is None:
        return
    if agendum.status in (Status.DONE, Status.SKIPPED):
        meeting.say(effects, replies.agendum_closed_already(event.nick, agendum))
        return
    meeting.say(effects, replies.agendum_skipped(meeting.change_agenda().skip(agendum.number, event.time)))


def next_agendum(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    following = meeting.agenda.next_open()
    if following is not None:
        take_up(meeting, following, event, effects)
        return
    if not meeting.agenda.items:
        meeting.say(effects, replies.agenda_empty())
        return
    closed = meeting.change_agenda().close(event.time) if meeting.agenda.current is not None else None
    meeting.say(effects, replies.no_open_agendum(closed))


def take(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    agendum = _agendum(meeting, arg, event, effects, "#take <N>")
    if agendum is None:
        return
    if agendum.status is Status.CURRENT:
        meeting.say(effects, replies.agendum_current_already(event.nick, agendum))
        return
    take_up(meeting, agendum, event, effects)


def take_up(meeting: Meeting, agendum: Agendum, event: Message, effects: list[Effect]) -> None:
    meeting.take_up(agendum.number, event)
    meeting.say(effects, replies.agendum_taken(agendum))
    meeting.show_topic(effects)


# ---------------------------------------------------------------------------- the timebox


def timebox(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    topic = meeting.current_topic
    if not is_number(arg) or not 1 <= int(arg) <= MAX_TIMEBOX_MINUTES:
        meeting.say(effects, replies.timebox_usage(event.nick, MAX_TIMEBOX_MINUTES))
        return
    if topic is None or meeting.agenda.topic_started is None:
        meeting.say(effects, replies.no_topic_to_timebox(event.nick))
        return
    box = meeting.change_agenda().set_timebox(topic, int(arg))
    meeting.say(effects, replies.timebox_set(box, box.minutes_left(event.time)))


# ---------------------------------------------------------------------------- the speaker queue


def queue_add(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    meeting.queue.add(event.nick, arg)


def queue_leave(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    if meeting.queue.remove(event.nick) is None:
        meeting.say(effects, replies.not_queued(event.nick))


def queue_show(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    meeting.say(effects, replies.queue(meeting.queue.entries()))


def acknowledge(meeting: Meeting, arg: str, event: Message, effects: list[Effect]) -> None:
    """``ack next``: the first in the queue has the floor; ``ack nick``: that nick (queued or not)."""
    words = arg.split()
    if len(words) != 1:
        meeting.say(effects, replies.usage(event.nick, "ack <nick> | ack next"))
        return
    if words[0].lower() == "next":
        first = meeting.queue.first()
        if first is None:
            meeting.say(effects, replies.queue([]))
            return
        words = [first[0]]
    entry = meeting.queue.remove(words[0]) or (words[0], "")
    meeting.say(effects, replies.floor(*entry))


HANDLERS: dict[str, Callable[[Meeting, str, Message, list[Effect]], None]] = {
    "agenda+": add_agendum,
    "agenda": agenda,
    "agenda-": skip_agendum,
    "next": next_agendum,
    "take": take,
    "timebox": timebox,
    "q+": queue_add,
    "q-": queue_leave,
    "q?": queue_show,
    "ack": acknowledge,
}
