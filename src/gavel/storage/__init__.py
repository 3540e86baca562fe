"""Storage: the MeetBot output tree, the journal and the archive."""

from gavel.storage.sqlite_library import quiet_allocations

quiet_allocations()  # before the archive's modules import sqlite3 (see sqlite_library)
