"""The login form (the shared token, once, starts a session kept in a cookie) and logging out.

The archive keeps the sessions and the wrong tokens: its calls block, so they run in the thread pool.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from gavel.web.auth import Viewer
from gavel.web.forms import local_path, read_form
from gavel.web.middleware import private
from gavel.web.sessions import SESSION_COOKIE
from gavel.web.site import Site

OLD_TOKEN_COOKIE = "token"  # noqa: S105 - the name of the cookie that held the token before sessions


class Login:
    """The endpoints of ``/login`` and ``/logout``."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def form(self, request: Request) -> Response:
        site = self.site
        if not site.auth.login_enabled:
            raise HTTPException(404, "no such page")
        viewer = site.viewer(request)
        next_path = local_path(request.query_params.get("next", ""), site.urls(request))
        return site.page("login.html", site.context(request, viewer, next=next_path, error=None))

    async def login(self, request: Request) -> Response:
        site = self.site
        if not site.auth.login_enabled:
            raise HTTPException(404, "no such page")
        form = await read_form(request)
        urls = site.urls(request)
        next_path = local_path(form.get("next", ""), urls)
        try:
            right = await run_in_threadpool(site.access.check_token, request, form.get("token", ""))
        except HTTPException as refusal:  # too many wrong tokens from this address
            wait = (refusal.headers or {}).get("Retry-After", "60")
            error = f"Too many wrong tokens from your address: try again in {wait} seconds."
            page = site.page("login.html", site.context(request, Viewer(), next=next_path, error=error), 429)
            page.headers["Retry-After"] = wait
            return page
        if not right:
            context = site.context(request, Viewer(), next=next_path, error="That token is not right.")
            return site.page("login.html", context, 401)
        cookie = await run_in_threadpool(site.access.sessions.start)
        response = RedirectResponse(next_path, 303)
        response.set_cookie(
            SESSION_COOKIE,
            cookie,
            max_age=round(site.auth.session_hours * 3600),
            path=urls.home(),
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="lax",
        )
        response.delete_cookie(OLD_TOKEN_COOKIE, path=urls.home())
        return private(response)

    async def logout(self, request: Request) -> Response:
        urls = self.site.urls(request)
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            await run_in_threadpool(self.site.access.sessions.end, cookie)
        response = RedirectResponse(urls.home(), 303)
        response.delete_cookie(
            SESSION_COOKIE, path=urls.home(), secure=request.url.scheme == "https", httponly=True, samesite="lax"
        )
        response.delete_cookie(OLD_TOKEN_COOKIE, path=urls.home())
        return private(response)
