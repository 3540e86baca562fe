"""The JSON API: every page's twin under ``/api`` (see docs/web.md); a meeting's log is streamed."""

from __future__ import annotations

import json
from collections.abc import Iterator

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from gavel.storage.archive import SeriesDetail
from gavel.web.charts import activity_json
from gavel.web.data import hit_json, log_row_json, meeting_json, series_json, series_summary_json
from gavel.web.middleware import private
from gavel.web.schedule import series_schedule
from gavel.web.search_form import MAX_PAGE, SearchError
from gavel.web.site import Site, chunked


class Api:
    """The endpoints of the JSON API."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def index(self, request: Request) -> Response:
        site = self.site
        viewer = site.viewer(request)
        urls = site.urls(request)
        series = site.archive.list_series(include_restricted=viewer.authenticated)
        return private(JSONResponse({"series": [series_summary_json(urls, s) for s in series]}))

    def series(self, request: Request) -> Response:
        site = self.site
        viewer = site.viewer(request)
        (name,) = site.segments(request, "series")
        found = site.archive.series(name, include_restricted=viewer.authenticated)
        urls = site.urls(request)
        scheduled = series_schedule(site, urls, name)
        if found is None and scheduled:
            found = SeriesDetail(name, 0, (), ())  # scheduled, never held yet
        if found is None:
            raise HTTPException(404, "no such series")
        body = series_json(urls, found)
        body["activity"] = activity_json(
            urls, site.archive.series_activity(name, include_restricted=viewer.authenticated)
        )
        if site.schedule is not None:  # only a server with a schedule adds the key
            body["schedule"] = scheduled
        return private(JSONResponse(body))

    def meeting(self, request: Request) -> Response:
        site = self.site
        viewer = site.viewer(request)
        meeting = site.find_meeting(request, viewer)
        head = json.dumps(meeting_json(site.urls(request), meeting), ensure_ascii=False, separators=(",", ":"))
        rows = site.archive.log_lines(meeting.id, include_restricted=viewer.authenticated)

        def body() -> Iterator[str]:
            yield head[:-1] + ',"log":['
            separator = ""
            for row in rows:
                yield separator + json.dumps(log_row_json(row), ensure_ascii=False, separators=(",", ":"))
                separator = ","
            yield "]}"

        return private(StreamingResponse(chunked(body()), media_type="application/json"))

    def search(self, request: Request) -> Response:
        site = self.site
        viewer = site.viewer(request)
        try:
            form, results = site.run_search(request, viewer)
        except SearchError as error:
            raise HTTPException(400, str(error)) from None
        if results is None:
            raise HTTPException(400, "q (the text to search for) is required")
        urls = site.urls(request)
        response = JSONResponse(
            {
                "total": results.total,
                "total_capped": results.total_capped,
                "hits": [hit_json(urls, hit) for hit in results.hits],
            }
        )
        links = []
        base = urls.root + "/api/search?"
        if form.page > 1:
            links.append(f'<{base}{form.params(page=form.page - 1)}>; rel="prev"')
        if form.page < min(results.pages, MAX_PAGE):
            links.append(f'<{base}{form.params(page=form.page + 1)}>; rel="next"')
        if links:
            response.headers["link"] = ", ".join(links)
        return private(response)
