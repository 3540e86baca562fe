"""The replay hot path's first-character rules: which log lines can mean more than a logged, counted line.

``Meeting.handle_rows`` (beside ``Meeting.handle``, in ``meeting.py``) logs and counts most rows of a log
without building an event: a message is plain when its first character can start neither a command nor a
link, or when it starts like a link scheme but holds no URL there. The rule is written out inline in that
loop (a call per line would cost about a sixth of it). Its plain definition is what ``Meeting.handle``
looks for (``commands.parse`` and ``starts_with_url``): ``test_a_message_row_means_what_the_message_means``
(tests/test_core_plain_lines.py) and ``test_handle_rows_does_what_handle_does_row_by_row``
(tests/test_core_rows.py) hold the two equal.
"""

from __future__ import annotations

from gavel.core.bare import PREFIXES as BARE_COMMAND_PREFIXES
from gavel.core.records import URL_FIRST_LETTERS

# Every character for which str.isspace() is true (a test checks the list is complete).
WHITESPACE = frozenset(
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# A message starting with one of these may be a command (commands.parse allows spaces before the "#") ...
COMMAND_FIRST = frozenset("#") | WHITESPACE
# Commands said without "#" at the very start of a line (``s/old/new/``, ``q+`` ...: core/bare.py): a line starting
# otherwise is no such one.
BARE_PREFIXES = BARE_COMMAND_PREFIXES
# The letters a link or a bare command starts with: such a line is plain unless it starts like one.
LETTER_FIRST = URL_FIRST_LETTERS | frozenset(prefix[0] for prefix in BARE_PREFIXES)
# ... so a message starting with one of these may be a command, a bare command or a link (a link's scheme is one of
# records.LINK_SCHEMES).
MAYBE_SPECIAL_FIRST = COMMAND_FIRST | LETTER_FIRST
