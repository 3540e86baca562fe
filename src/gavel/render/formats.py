"""The files written for a meeting, by extension: its logs and its minutes.

A module of its own, free of the writers, so that ``gavel --help`` lists the formats without loading them.
"""

LOG_FORMATS = (".log.txt", ".log.html")
MINUTES_FORMATS = (".txt", ".html", ".md", ".json")  # the writers in gavel.render.minutes, in this order
ALL_FORMATS = LOG_FORMATS + MINUTES_FORMATS
