"""Storage defaults the command line shows in its help, in a module that loads none of the storage code."""

DEFAULT_ARCHIVE_URL = "sqlite://gavel-archive.db"
"""The default archive: ``gavel-archive.db`` in the working directory."""

DEFAULT_PAGE_CACHE_MB = 64
"""Megabytes of rendered public pages each ``gavel serve`` worker keeps (``gavel.web.page_cache``)."""

DEFAULT_SERVE_THREADS = 40
"""Requests each ``gavel serve`` worker works on at once (its thread pool's size, anyio's default; the others wait
their turn). Fewer was tried on 2 cores beside an import: the workers then left the cores to the import and to
other processes (docs/performance.md, web-pg)."""
