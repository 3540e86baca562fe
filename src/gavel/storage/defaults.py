"""Storage defaults the command line shows in its help, in a module that loads none of the storage code."""

DEFAULT_ARCHIVE_URL = "sqlite://gavel-archive.db"
"""The default archive: ``gavel-archive.db`` in the working directory."""

DEFAULT_PAGE_CACHE_MB = 64
"""Megabytes of rendered public pages each ``gavel serve`` worker keeps (``gavel.web.page_cache``)."""

DEFAULT_SERVE_THREADS = 4
"""Requests each ``gavel serve`` worker works on at once (its thread pool's size; the others wait their turn)."""
