"""What a meeting is configured with (the runtime builds it from the config file or the command line)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, tzinfo


@dataclass(frozen=True, slots=True)
class MeetingSettings:
    channel: str
    bot_nick: str | None = None
    # "due to finish in N minutes"; past it anyone may #endmeeting when overtime_end_by_anyone.
    length_minutes: int = 60
    overtime_end_by_anyone: bool = True
    # A nick logged in to the same account as a chair is a chair too.
    chairs_by_account: bool = True
    # End a forgotten meeting after this long without a line / this long in all (0 = never).
    idle_end_minutes: int = 0
    max_length_minutes: int = 0
    info_url: str = "https://pypi.org/project/gavel-meetbot/"
    # The zone the bot's replies show times in (as MeetBot's timeZone); files and minutes stay in UTC.
    timezone: tzinfo = UTC
    # The meeting's name when #startmeeting gives none (normalized); None: the channel's name. A Matrix room's is
    # its alias's localpart ("#weekly-sync:example.org" -> weekly_sync), not the whole alias.
    default_name: str | None = None
    # maubot-meetings' spellings as well (!startmeeting, !sm, ^info ...: commands.MAUBOT_SPELLINGS), for Matrix rooms
    # that move from it.
    maubot_spellings: bool = False
