"""The one command registry: every ``#command``, who may use it, and its help text.

``docs/commands.md`` and the bot's ``#commands`` reply are generated from this table.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class Permission(enum.Enum):
    ANYONE = "anyone"
    CHAIR = "chairs"
    CHAIR_OR_OVERTIME = "chairs (anyone once the meeting has run past its length)"


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    permission: Permission
    help: str
    usage: str = ""
    aliases: tuple[str, ...] = ()
    # Completes "only chairs can ..." when someone else tries the command.
    verb: str = ""
    # Also said without "#" at the start of a line, as Zakim has it (``q+``, ``ack next``); see core/bare.py.
    bare: bool = False


_A = Permission.ANYONE
_C = Permission.CHAIR

COMMANDS: tuple[Command, ...] = (
    Command(
        "startmeeting",
        _A,
        "Start a meeting; the starter becomes owner and first chair. "
        "The optional text sets the meeting topic and name.",
        "[name]",
    ),
    Command(
        "endmeeting",
        Permission.CHAIR_OR_OVERTIME,
        "End the meeting, write the minutes and post their URLs.",
        verb="end the meeting",
    ),
    Command("topic", _C, "Start a new topic in the minutes (and the channel topic).", "<topic>", verb="set the topic"),
    Command(
        "meetingtopic",
        _C,
        "Set the meeting title shown in the minutes; `none` clears it.",
        "<title>",
        verb="set the meeting topic",
    ),
    Command(
        "meetingname",
        _C,
        "Set the meeting name used in file names (normalized to [a-z0-9_]).",
        "<name>",
        verb="set the meeting name",
    ),
    Command("info", _A, "Add an informational item to the minutes.", "<text>"),
    Command("idea", _A, "Add an idea to the minutes.", "<text>"),
    Command("help", _A, "Add a call for help to the minutes.", "<text>", aliases=("halp",)),
    Command("link", _A, "Add a link to the minutes (a line that starts with a URL counts too).", "<url> [text]"),
    Command("action", _A, "Add an action item; nicks named in it own it.", "<text>"),
    Command("agreed", _C, "Record an agreement.", "<text>", aliases=("agree",), verb="record agreements"),
    Command("accepted", _C, "Record something accepted.", "<text>", aliases=("accept",), verb="record acceptances"),
    Command("rejected", _C, "Record something rejected.", "<text>", aliases=("reject",), verb="record rejections"),
    Command("nick", _A, "Make nicks known so actions can be assigned to them.", "<nick> [nick ...]"),
    Command("chair", _C, "Add chairs.", "<nick> [nick ...]", verb="add chairs"),
    Command("unchair", _C, "Remove chairs (the owner stays chair).", "<nick> [nick ...]", verb="remove chairs"),
    Command("undo", _C, "Remove the last minutes item and restore what it changed.", verb="undo items"),
    Command("save", _C, "Write the minutes now; the meeting goes on.", verb="save the minutes"),
    Command("lurk", _C, "Stop talking in the channel (minutes are still kept).", verb="make the bot lurk"),
    Command("unlurk", _C, "Talk in the channel again.", verb="make the bot unlurk"),
    Command("restrictlogs", _C, "Mark the logs and minutes as restricted (not public).", verb="restrict the logs"),
    Command(
        "startvote",
        _C,
        "Start a vote; options default to yes, no, abstain.",
        "<question>? [a, b, ...]",
        verb="start a vote",
    ),
    Command("vote", _A, "Vote in the open vote; only your last vote counts.", "<option>"),
    Command("showvote", _A, "Show the votes cast so far."),
    Command("endvote", _C, "End the vote and record its result in the minutes.", verb="end the vote"),
    Command(
        "done",
        _A,
        "Mark an open action item from an earlier meeting of this series done, by its number in "
        "the list shown at #startmeeting or by (part of) its text.",
        "<number or text>",
    ),
    Command("present+", _A, "Declare nicks present (without nicks: yourself).", "[nick ...]"),
    Command("here", _A, "Declare yourself present."),
    Command("present-", _A, "Take back that nicks were declared present.", "<nick> [nick ...]"),
    Command("regrets+", _A, "Record that nicks sent regrets (could not come).", "<nick> [nick ...]"),
    Command(
        "fix",
        _C,
        "Correct item N (in meeting order, as in the JSON minutes): its first `old` becomes `new` (plain text). "
        "Anyone corrects their own latest item with a line `s/old/new/`.",
        "<N> s/old/new/",
        verb="correct items",
    ),
    Command(
        "agenda+",
        _A,
        "Add an item to the agenda (also said without `#`: `agenda+ text`).",
        "<text>",
        bare=True,
    ),
    Command(
        "agenda",
        _A,
        "List the agenda, numbered, with each item's status; chairs retitle item N with `#agenda N = text`.",
        "[N = text]",
    ),
    Command(
        "agenda-",
        _C,
        "Mark agenda item N skipped (numbers never change).",
        "<N>",
        verb="change the agenda",
    ),
    Command(
        "next",
        _C,
        "Close the current agenda item and take up the next open one as the topic.",
        verb="move to the next agenda item",
    ),
    Command(
        "take",
        _C,
        "Take up agenda item N as the topic (Zakim's `take up agendum N` works too).",
        "<N>",
        verb="take up agenda items",
    ),
    Command(
        "timebox",
        _C,
        "Give the current topic M minutes from its start; the bot warns at 80% and when the time is up.",
        "<minutes>",
        verb="set timeboxes",
    ),
    Command("q+", _A, "Ask to speak: join the speaker queue (logged, not minuted).", "[note]", bare=True),
    Command("q-", _A, "Leave the speaker queue.", bare=True),
    Command("q?", _A, "List the speaker queue.", bare=True),
    Command(
        "ack",
        _C,
        "Give the floor to a nick, or to the first in the queue (`ack next`); they leave the queue.",
        "<nick> or next",
        verb="give the floor",
        bare=True,
    ),
    Command("commands", _A, "List the available commands."),
)

# ``#agenda N = text`` changes the agenda: a chair's command, said with ``#agenda``.
AGENDA_EDIT = Command("agenda", _C, "Retitle agenda item N.", "<N> = <text>", verb="change the agenda")

_BY_NAME: dict[str, Command] = {name: command for command in COMMANDS for name in (command.name, *command.aliases)}

# ``#cmd arg``, ``#CMD: arg``, ``#present+ arg``; the first word must be the command (``#info-ish`` is not ``#info``).
_COMMAND_LINE = re.compile(r"\s*#(\w+[+?-]?):?(?:[ \t]+(.*))?\s*\Z", re.DOTALL)


def lookup(name: str) -> Command | None:
    """The command called ``name`` (case-insensitive, aliases included), or None."""
    return _BY_NAME.get(name.lower())


# maubot-meetings' spellings (Fedora's Matrix meeting bot) -> our command names, for rooms that move from it.
MAUBOT_SPELLINGS = {
    "!startmeeting": "startmeeting",
    "!sm": "startmeeting",
    "!endmeeting": "endmeeting",
    "!em": "endmeeting",
    "!topic": "topic",
    "!t": "topic",
    "!meetingname": "meetingname",
    "!mn": "meetingname",
    "^info": "info",
    "^action": "action",
    "^agreed": "agreed",
    "^rejected": "rejected",
    "^idea": "idea",
    "^link": "link",
    "^halp": "help",
}
MAUBOT_FIRST = frozenset(spelling[0] for spelling in MAUBOT_SPELLINGS)


def parse_maubot(text: str) -> tuple[Command, str] | None:
    """``(command, argument)`` when ``text`` starts with one of maubot-meetings' spellings (a whole word)."""
    if text[:1] not in MAUBOT_FIRST:
        return None
    word, _, rest = text.partition(" ")
    name = MAUBOT_SPELLINGS.get(word.rstrip(":").lower())
    command = _BY_NAME.get(name) if name is not None else None
    return (command, rest.strip()) if command is not None else None


# "#info" and "#info:" for every name: the first word of most command lines, as said (lower case, then a space).
_FIRST_WORDS: dict[str, Command] = {
    f"#{name}{colon}": command for name, command in _BY_NAME.items() for colon in ("", ":")
}


def parse(text: str, *, maubot: bool = False) -> tuple[Command, str] | None:
    """``(command, argument)`` when the first word of ``text`` is a known ``#command`` (with ``maubot``, also one
    of maubot-meetings' spellings), else None.

    ``parse_reference``, with the common command line (``#name`` or ``#name:`` in lower case, then a space or the
    end) found by one look-up of its first word; any other text takes the pattern. The core parses every command
    line (the HTML log only those its own look-up does not style); ``test_parse_is_parse_reference`` holds the two
    equal."""
    if maubot and text[:1] in MAUBOT_FIRST:
        return parse_maubot(text)
    space = text.find(" ")
    command = _FIRST_WORDS.get(text if space < 0 else text[:space])
    if command is not None:  # "#name" then a space: the pattern's "[ \t]+(.*)" then "\s*\Z", as one strip
        return command, "" if space < 0 else text[space + 1 :].strip()
    return parse_reference(text)


def parse_reference(text: str) -> tuple[Command, str] | None:
    """``parse`` without maubot's spellings, by the pattern alone."""
    if not text.startswith("#") and not (text[:1].isspace() and text.lstrip().startswith("#")):
        return None
    match = _COMMAND_LINE.match(text)
    if match is None:
        return None
    command = _BY_NAME.get(match.group(1).lower())
    if command is None:
        return None
    return command, (match.group(2) or "").strip()


def useful_commands() -> str:
    return "#action #agreed #help #info #idea #link #topic #startvote"


def available_commands() -> str:
    return " ".join(sorted("#" + name for name in _BY_NAME))
