"""``docs/commands.md``, generated from the command registry (``scripts/gen-docs`` writes it).

A test compares the committed file with :func:`commands_markdown`, so the reference can never drift
from what the bot actually accepts.
"""

from __future__ import annotations

from gavel.core.commands import COMMANDS, Command, useful_commands

_INTRO = """\
# Commands

<!-- Generated from gavel.core.commands.COMMANDS by scripts/gen-docs. Do not edit by hand. -->

A line is a command when its first word is `#` and a command name: `#topic Budget`, `#TOPIC Budget` and
`#action: alice to write it` all work, `#info-ish` does not. Anything after the name is the command's text.

- `#startmeeting` starts a meeting; whoever starts it is its owner and first chair. The owner cannot be unchaired.
- A chair who changes nick stays chair, and with services accounts a nick logged in to a chair's account is a
  chair too.
- When someone who is not a chair uses a chair command, the line is logged like any other and the bot says why
  ("only chairs can set the topic").
- A line that starts with a URL (`http`, `https`, `ftp`, `irc`, `ircs`) is recorded as a `#link`.
- The nicks named in an `#action` (as whole words, in any case) own it; they must have spoken or been named with
  `#nick`.
- A line `s/old/new/` (scribe.perl's correction) corrects the speaker's own latest minutes item that contains
  `old`: plain text, not a pattern. The log keeps what was said; the minutes mark the item "(corrected)".
- Zakim's lines work without `#` too, in lower case at the very start of a line: `q+ [note]`, `q-`, `q?`,
  `ack <nick>` / `ack next`, `agenda+ <text>` and `take up agendum N` (or `item N`). The speaker queue is logged,
  never minuted, and starts empty with each agenda item taken up. A non-chair's `ack ...` is taken for chat.
- Agenda items keep their numbers (`#agenda- N` marks one skipped). Taking one up (`#next`, `#take N`) is a
  `#topic` with its title; `#undo` takes back any change to the agenda. `#timebox M` counts from the start of the
  current topic; the bot warns once at 80% and once when the time is up (checked every `tick_seconds`, 30 by
  default). The minutes list the agenda with each item's status and time spent against its timebox, and each
  timeboxed topic with its time spent.
- Someone who changes nick stays one person: "People present" lists them once, under their current nick with
  the others beside it, and an action naming any of their nicks is theirs.
- Meeting names (`#startmeeting name`, `#meetingname`) are lower-cased and reduced to `[a-z0-9_]`; they name the
  output files `name/YYYY/name.YYYY-MM-DD-HH.MM.*`.
"""


def _cell(text: str) -> str:
    """``text`` made safe for one cell of a Markdown table."""
    return " ".join(text.split()).replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{text}`" if "`" not in text else f"`` {text} ``"


def _usage(command: Command) -> str:
    return _code(f"#{command.name} {command.usage}".rstrip())


def commands_markdown() -> str:
    """The whole of ``docs/commands.md``: every command with its aliases, who may use it, usage and help."""
    lines = [_INTRO]
    useful = " ".join(_code(name) for name in useful_commands().split())
    lines.append(f"The bot suggests these when a meeting starts: {useful}.")
    lines.append("")
    lines.append("| Command | Aliases | Who may use it | Usage | What it does |")
    lines.append("| --- | --- | --- | --- | --- |")
    for command in COMMANDS:
        aliases = ", ".join(_code("#" + alias) for alias in command.aliases)
        cells = [
            _code("#" + command.name),
            aliases,
            command.permission.value,
            _usage(command),
            command.help,
        ]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    lines.append("")
    return "\n".join(lines)
