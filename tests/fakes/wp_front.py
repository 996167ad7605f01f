"""Tiny servers that stand where a WordPress should be: a redirecting front and a site that is not WordPress.

    redirect_app("https://www.example.com")   # 301 every request to that origin (same path and query)
    redirect_app(None)                          # 301 to itself under another path, forever: a loop
    not_wordpress_app()                         # a plain web site: HTML home page, 404 elsewhere
    password_protected_app()                    # a staging site behind the server's own Basic auth

`requests` records (method, path_qs, Authorization header present) so a test can check that no
credential was sent to the redirecting address.
"""

from __future__ import annotations

from aiohttp import web

__all__ = ["FrontRequests", "not_wordpress_app", "password_protected_app", "redirect_app"]


class FrontRequests(list[tuple[str, str, bool]]):
    """(method, path_qs, had an Authorization header) per request."""


def redirect_app(target: str | None, *, status: int = 301) -> tuple[web.Application, FrontRequests]:
    """301 everything to `target` + the same path; `target=None` makes a redirect loop (/a ↔ /b)."""
    seen = FrontRequests()

    async def handle(request: web.Request) -> web.StreamResponse:
        seen.append((request.method, request.rel_url.path_qs, "Authorization" in request.headers))
        if target is None:
            flip = "/loop-b/" if request.path.startswith("/loop-a") else "/loop-a/"
            location = f"{request.scheme}://{request.host}{flip}"
        else:
            location = target.rstrip("/") + request.rel_url.path_qs
        return web.Response(status=status, headers={"Location": location}, text="Moved")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app, seen


def not_wordpress_app(*, catch_all: bool = True) -> tuple[web.Application, FrontRequests]:
    """A web site that is not WordPress: its home page for every address (a single-page app or a
    parked domain), or (`catch_all=False`) a home page and 404 HTML everywhere else."""
    seen = FrontRequests()

    async def handle(request: web.Request) -> web.StreamResponse:
        seen.append((request.method, request.rel_url.path_qs, "Authorization" in request.headers))
        if request.path == "/" or catch_all:
            return web.Response(text="<html><head><title>My shop</title></head><body>Welcome</body></html>",
                                content_type="text/html")
        return web.Response(status=404, text="<html><body>Not Found</body></html>", content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app, seen


def password_protected_app() -> tuple[web.Application, FrontRequests]:
    """A site behind the web server's own password (.htpasswd): 401 with WWW-Authenticate for any
    request whose Authorization is not the server's (an application password never is)."""
    seen = FrontRequests()

    async def handle(request: web.Request) -> web.StreamResponse:
        seen.append((request.method, request.rel_url.path_qs, "Authorization" in request.headers))
        return web.Response(status=401, text="<html><body>401 Authorization Required</body></html>",
                            content_type="text/html", headers={"WWW-Authenticate": 'Basic realm="Staging"'})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app, seen
