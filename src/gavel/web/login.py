"""The login form (a shared token, kept in a cookie) and logging out."""

from __future__ import annotations

import hmac

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from gavel.web.auth import TOKEN_COOKIE, TOKEN_COOKIE_AGE, Viewer
from gavel.web.forms import local_path, read_form
from gavel.web.middleware import private
from gavel.web.site import Site


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
        if not site.auth.login_enabled or not site.auth.token:
            raise HTTPException(404, "no such page")
        form = await read_form(request)
        urls = site.urls(request)
        next_path = local_path(form.get("next", ""), urls)
        token = form.get("token", "")
        if not hmac.compare_digest(token.encode("utf-8"), site.auth.token.encode("utf-8")):
            context = site.context(request, Viewer(), next=next_path, error="That token is not right.")
            return site.page("login.html", context, 401)
        response = RedirectResponse(next_path, 303)
        response.set_cookie(
            TOKEN_COOKIE,
            site.auth.token,
            max_age=TOKEN_COOKIE_AGE,
            path=urls.home(),
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )
        return private(response)

    async def logout(self, request: Request) -> Response:
        urls = self.site.urls(request)
        response = RedirectResponse(urls.home(), 303)
        response.delete_cookie(TOKEN_COOKIE, path=urls.home(), httponly=True, samesite="strict")
        return private(response)
