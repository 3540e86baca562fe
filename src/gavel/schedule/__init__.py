"""Meeting schedules in OpenStack irc-meetings' YAML: the model, the parser, occurrences, conflicts, iCalendar.

A layer beside render, storage and transports (it imports only the core), so both the application
(``gavel schedule``, the live bot) and the web UI read it. See docs/schedule.md.
"""
