"""SQLite's memory statistics turned off before the library starts (``SQLITE_CONFIG_MEMSTATUS``).

With its statistics on (the default), SQLite takes a global mutex around each of its allocations to count them,
and an insert allocates several times: an import's writer spent ~6% of its instructions there (docs/performance.md,
branch busy-import). Nothing in gavel reads them (``sqlite3_memory_used``, a soft heap limit); the allocations
themselves stay the system's, safe from any thread. A library option, not a connection's: it can only be set
before the library initializes, which Python's ``sqlite3`` module does when it is first imported. So this runs
when ``gavel.storage`` is imported (its ``__init__``), before anything of the archive imports ``sqlite3``; in a
process that imported ``sqlite3`` earlier it changes nothing and says so.
"""

from __future__ import annotations

import importlib.util
import sys

SQLITE_CONFIG_MEMSTATUS = 9  # sqlite3.h
SQLITE_OK = 0


def quiet_allocations() -> bool:
    """Turn SQLite's memory statistics off, if the library is not started yet: True when it took effect. Never
    raises: without the library as a shared object (a static build), or once started, nothing changes."""
    if "_sqlite3" in sys.modules:  # (the module started the library when it was imported)
        return False
    try:
        import ctypes  # (here: a Python without ctypes imports gavel all the same, and nothing changes)

        spec = importlib.util.find_spec("_sqlite3")
        if spec is None or not spec.origin or not spec.has_location:
            return False
        # the module's shared object, loaded (not imported): its symbols include those of the SQLite it links to,
        # and importing it later loads the same object again; PyDLL: the GIL held (the call is not thread-safe)
        config = ctypes.PyDLL(spec.origin).sqlite3_config
        # (variadic: its fixed argument typed, so that ctypes passes the others as a variadic call does)
        config.argtypes = [ctypes.c_int]
        config.restype = ctypes.c_int
        return int(config(SQLITE_CONFIG_MEMSTATUS, ctypes.c_int(0))) == SQLITE_OK
    except (ImportError, OSError, AttributeError):
        return False
