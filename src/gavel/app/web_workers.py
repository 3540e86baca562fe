"""``gavel serve``'s application, built from its settings in the serving process or, with ``--workers N``, in
each of uvicorn's worker processes (which import :func:`app_from_environment` by name, as a factory).

The settings reach the workers in the environment variable :data:`SETTINGS_ENV` (JSON); the workers share
sessions, the signing key and the count of wrong tokens through the archive (see ``gavel.web.sessions``).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from starlette.applications import Starlette

from gavel.storage.archive import open_archive
from gavel.storage.defaults import DEFAULT_PAGE_CACHE_MB, DEFAULT_SERVE_THREADS
from gavel.web.app import create_app

SETTINGS_ENV = "GAVEL_SERVE_SETTINGS"
FACTORY = "gavel.app.web_workers:app_from_environment"


@dataclass(frozen=True)
class ServeSettings:
    """What ``gavel serve`` was told (already checked by ``auth_settings``)."""

    archive_url: str
    token: str | None
    user_header: str | None
    trusted_proxies: tuple[str, ...]
    session_hours: float
    schedule_dir: str | None
    page_cache_mb: int = DEFAULT_PAGE_CACHE_MB
    threads: int = DEFAULT_SERVE_THREADS

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeSettings:
        data = json.loads(text)
        data["trusted_proxies"] = tuple(data["trusted_proxies"])
        return cls(**data)


def build_app(settings: ServeSettings) -> Starlette:
    """The application over the archive the settings name (closed when the application shuts down)."""
    meetings = None
    if settings.schedule_dir is not None:  # followed while the application runs
        from gavel.schedule.watch import ScheduleWatcher

        meetings = ScheduleWatcher(Path(settings.schedule_dir))
        meetings.look()
    archive = open_archive(settings.archive_url)
    try:
        return create_app(
            archive,
            token=settings.token,
            user_header=settings.user_header,
            trusted_proxies=settings.trusted_proxies,
            session_hours=settings.session_hours,
            close_archive=True,
            schedule=meetings,
            page_cache_bytes=settings.page_cache_mb << 20,
            threads=settings.threads,
        )
    except BaseException:
        archive.close()
        raise


def app_from_environment() -> Starlette:
    """A worker's application, from the settings its parent put in :data:`SETTINGS_ENV`."""
    text = os.environ.get(SETTINGS_ENV)
    if not text:
        raise RuntimeError(f"${SETTINGS_ENV} is not set: this factory is for the workers of `gavel serve --workers`")
    return build_app(ServeSettings.from_json(text))
