"""End-to-end: a WP_BASE_URL that redirects elsewhere (http→https, example.com→www…) in front of a REAL
WordPress. `migrate --all` must stop with exit 2 before touching the blog, naming the address to use,
and never send the Authorization header to the redirecting address (nor across the redirect).

The redirector is a tiny local aiohttp app (tests/fakes/wp_front.py) that answers 301 to the real
WordPress for every path. The same test runs against FakeWordPress ("fake", not marked e2e).
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Site, Timing
from tests.e2e.migrate import Migration
from tests.fakes.blog import FakeBlog, FakePost
from tests.fakes.wp_front import redirect_app

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("site", [pytest.param("real", marks=pytest.mark.e2e), "fake"], indirect=True)
def test_redirecting_wp_base_url_exits_2_naming_the_address(site: Site, servers, tmp_path, timings: Timing):
    blog = FakeBlog([FakePost(1, "글 하나")])
    blog_url = servers.serve(blog.app()).url
    app, seen = redirect_app(site.url)
    front = servers.serve(app).url
    before = site.reader.floor_id()

    result = Migration(tmp_path, blog_url=blog_url, wp_url=front, wp_user=site.user,
                       wp_password=site.app_password).run(timeout=60)
    timings.add_run(result.elapsed_s)

    assert result.code == 2, result.output
    errors = [ln for ln in result.output.splitlines() if ln.startswith("migrate: error:")]
    assert len(errors) == 1 and f"use WP_BASE_URL={site.url}" in errors[0], result.output
    assert "Traceback" not in result.output
    assert seen and not any(had_auth for _, _, had_auth in seen)
    assert blog.requests == []
    assert site.reader.floor_id() == before
