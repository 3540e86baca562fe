"""The HTML pages: the series list, a series, a meeting (minutes, then its log), search, static files."""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from gavel.storage.archive import MeetingVersion, SeriesDetail
from gavel.web.assets import STATIC_FILES, static_file
from gavel.web.charts import series_charts, server_links
from gavel.web.data import SEARCH_KINDS, hit_url, rebuild_view
from gavel.web.logview import log_page, log_rows_html
from gavel.web.schedule import series_schedule
from gavel.web.search_form import MAX_FILTER_CHARS, MAX_QUERY_CHARS, SearchError, SearchForm
from gavel.web.site import Site


class Pages:
    """The endpoints of the HTML pages."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def index(self, request: Request) -> Response:
        site = self.site
        viewer = site.viewer(request)
        series = site.archive.list_series(include_restricted=viewer.authenticated)
        return site.public_page(
            request, viewer, "index.html", tuple(series), lambda: site.context(request, viewer, series=series)
        )

    def series(self, request: Request) -> Response:
        site = self.site
        viewer = site.viewer(request)
        (name,) = site.segments(request, "series")
        found = site.archive.series(name, include_restricted=viewer.authenticated)
        scheduled = series_schedule(site, site.urls(request), name)
        if found is None and scheduled:
            found = SeriesDetail(name, 0, (), ())  # scheduled, never held yet
        if found is None:
            raise HTTPException(404, "no such series")
        feed = any(not meeting.restricted for year in found.years for meeting in year.meetings)
        activity = site.archive.series_activity(name, include_restricted=viewer.authenticated)
        series = found

        def context() -> dict[str, Any]:
            charts = series_charts(server_links(site.urls(request)), activity)
            return site.context(request, viewer, series=series, scheduled=scheduled, feed=feed, charts=charts)

        key = (found, tuple(activity), json.dumps(scheduled, sort_keys=True, default=str))
        return site.public_page(request, viewer, "series.html", key, context)

    def meeting(self, request: Request) -> Response:
        site = self.site
        viewer = site.viewer(request)
        if not viewer.authenticated:  # a kept page is found by the meeting's version alone (one statement)
            kept = self.kept_meeting(request)
            if kept is not None:
                return kept
        meeting = site.find_meeting(request, viewer)
        page = log_page(request.query_params, meeting.line_count)

        def context() -> dict[str, Any]:
            rows = site.archive.log_rows(meeting.id, page.first - 1, page.size, include_restricted=viewer.authenticated)
            log = log_rows_html(rows, page)
            return site.context(request, viewer, meeting=meeting, view=rebuild_view(meeting), log=log, log_page=page)

        # an anonymous viewer's page shows no restricted meeting (find_meeting is a 404 for it); the meeting's
        # version (stored_at, which every store changes, and its actions' states) keys it, so a page of an older
        # copy is never shown
        return site.public_page(
            request, viewer, "meeting.html", (MeetingVersion.of(meeting), page), context, stream=True
        )

    def kept_meeting(self, request: Request) -> Response | None:
        """A public meeting page kept for the meeting's version now, if there is one (else it is read whole)."""
        site = self.site
        series, name = site.segments(request, "series", "meeting")
        version = site.archive.meeting_version(series, name) if site.pages.max_bytes else None
        if version is None:  # not kept, restricted, or no such meeting: answered as usual
            return None
        return site.kept_page(request, "meeting.html", (version, log_page(request.query_params, version.line_count)))

    def search(self, request: Request) -> Response:
        site = self.site
        viewer = site.viewer(request)
        series = site.archive.list_series(include_restricted=viewer.authenticated)
        try:
            form, results = site.run_search(request, viewer)
        except SearchError as error:
            raw = {name: request.query_params.get(name, "")[:MAX_QUERY_CHARS] for name in ("q", "nick", "channel")}
            form = SearchForm(
                q=raw["q"], nick=raw["nick"][:MAX_FILTER_CHARS], channel=raw["channel"][:MAX_FILTER_CHARS]
            )
            context = site.context(
                request, viewer, form=form, results=None, error=str(error), series=series, kinds=SEARCH_KINDS, q=form.q
            )
            return site.page("search.html", context, 400)
        urls = site.urls(request)
        hits = [] if results is None else [(hit, hit_url(urls, hit)) for hit in results.hits]
        context = site.context(
            request,
            viewer,
            form=form,
            results=results,
            hits=hits,
            error=None,
            series=series,
            kinds=SEARCH_KINDS,
            q=form.q,
        )
        return site.page("search.html", context)

    def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC_FILES:
            raise HTTPException(404, "no such file")
        return Response(
            static_file(name), media_type=STATIC_FILES[name], headers={"cache-control": "public, max-age=3600"}
        )

    def favicon(self, request: Request) -> Response:
        return RedirectResponse(self.site.urls(request).static("favicon.svg"), 301)
