"""Where WordPress says its REST API lives (what migrate's preflight reads), fake vs real.

Every front-end page carries `Link: <ROOT>; rel="https://api.w.org/"` and the same link in its HTML
head; the advertised root answers with the REST index, and `?rest_route=` reaches the same API with
the request's other parameters next to it. "Plain" permalinks (ROOT = index.php?rest_route=/, and
/wp-json/ redirected away) are covered end to end by tests/e2e (test_full_migration[real-plain]).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from migrator.http import Response
from migrator.wordpress.site import RestRoot, advertised_root

if TYPE_CHECKING:
    from tests.contract.conftest import WPApi


async def _page(wp: WPApi, path: str) -> Response:
    async with wp.session.get(wp.base + path, allow_redirects=False) as resp:
        return Response(resp.status, resp.headers, await resp.read(), str(resp.url))


async def test_home_page_advertises_the_rest_root(wp: WPApi) -> None:
    home = await _page(wp, "/")
    assert home.status == 200
    root = advertised_root(home)
    assert root == f"{wp.base}/wp-json/"
    # The HTML head carries it too (for a front that strips the Link header); Debian's WordPress
    # package ships no theme, so the real test site renders an empty page and has no head to read.
    if b"<head" in home.body:
        stripped = Response(home.status, {"Content-Type": home.headers["Content-Type"]}, home.body, home.url)
        assert advertised_root(stripped) == root
    url, params = RestRoot(root).endpoint("")
    index = await wp.get(url, auth=False, params=params)
    assert index.status == 200 and "wp/v2" in index.body["namespaces"]


async def test_rest_route_carries_the_other_parameters(wp: WPApi) -> None:
    url, params = RestRoot.plain(wp.base).endpoint("/wp/v2/posts", {"status": "any", "per_page": "1",
                                                                     "_fields": "id"})
    listing = await wp.get(url, params=params)
    assert listing.status == 200 and isinstance(listing.body, list)
    assert "X-WP-Total" in listing.headers
    url, params = RestRoot.plain(wp.base).endpoint("/wp/v2/users/me", {"context": "edit"})
    me = await wp.get(url, params=params)
    assert me.status == 200 and me.body["username"] == wp.user
