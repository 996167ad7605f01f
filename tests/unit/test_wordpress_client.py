"""WordPressClient request shapes (aioresponses): auth header, upload headers and fields, term_exists."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from aioresponses import aioresponses

from migrator.errors import AuthError, PermanentError
from migrator.http import HttpClient, make_session
from migrator.wordpress.client import PERMANENT_WP_CODES, WordPressClient, local_and_gmt

BASE = "https://wp.example.com"
API = BASE + "/wp-json/wp/v2"
PASSWORD = "abcd EFGH ijkl mnop qrst uv1x"


@pytest.fixture
async def wp():
    session = make_session(timeout_s=5)
    http = HttpClient(session, service="wordpress", rate_limit=0, max_retries=0, permanent_codes=PERMANENT_WP_CODES)
    yield WordPressClient(http, BASE, "admin", PASSWORD)
    await session.close()


def mock_site(m, root=BASE + "/wp-json/"):
    """The home page advertising the REST root, and the REST index (what the preflight reads first)."""
    m.get(BASE + "/", status=200, body="<html></html>", content_type="text/html",
          headers={"Link": f'<{root}>; rel="https://api.w.org/"'})
    m.get(re.compile(re.escape(root.split("?")[0]) + r"(\?.*)?$"), payload={"namespaces": ["wp/v2"], "authentication": {}})


def sent(m, method, pattern):
    for (meth, url), calls in m.requests.items():
        if meth == method and re.search(pattern, str(url)):
            return url, calls[-1].kwargs
    raise AssertionError(f"no {method} {pattern}")


async def test_bad_password_is_a_clear_auth_error(wp):
    with aioresponses() as m:
        mock_site(m)
        m.get(re.compile(r".*/users/me.*"), status=401, payload={"code": "rest_not_logged_in", "message": "x"})
        with pytest.raises(AuthError) as info:
            await wp.check_auth()
    text = str(info.value)
    assert "WP_APP_PASSWORD" in text and PASSWORD not in text


async def test_user_without_capabilities_is_refused(wp):
    with aioresponses() as m:
        mock_site(m)
        m.get(re.compile(r".*/users/me.*"), payload={"id": 2, "capabilities": {"read": True}})
        with pytest.raises(AuthError, match="may not create posts"):
            await wp.check_auth()


async def test_upload_sends_raw_body_utf8_name_and_query_fields(wp):
    with aioresponses() as m:
        m.post(re.compile(r".*/media.*"), status=201,
               payload={"id": 5, "source_url": f"{BASE}/wp-content/uploads/바다.png", "post": 9})
        media = await wp.upload_media(b"\x89PNG....", filename='바다 "사진".png', mime="image/png",
                                      alt_text="대체", caption="설명", description="<!-- tistory-media-1 -->", post=9)
        url, kwargs = sent(m, "POST", r"/media")
    assert media.id == 5 and media.post == 9
    assert kwargs["headers"]["Content-Disposition"] == 'attachment; filename="바다 사진.png"'
    assert kwargs["headers"]["Content-Type"] == "image/png"
    assert kwargs["headers"]["Authorization"].startswith("Basic ")
    assert kwargs["data"] == b"\x89PNG...."
    assert kwargs["params"]["description"] == "<!-- tistory-media-1 -->"
    assert kwargs["params"]["post"] == "9" and kwargs["params"]["alt_text"] == "대체"


async def test_refused_file_type_is_permanent_not_retried(wp):
    with aioresponses() as m:
        m.post(re.compile(r".*/media.*"), status=500,
               payload={"code": "rest_upload_sideload_error", "message": "Sorry, you are not allowed to upload this file type."})
        with pytest.raises(PermanentError, match="not allowed"):
            await wp.upload_media(b"<svg/>", filename="a.svg", mime="image/svg+xml")


async def test_term_exists_returns_the_existing_id(wp):
    with aioresponses() as m:
        m.post(f"{API}/tags", status=400, payload={
            "code": "term_exists", "message": "A term with the name provided already exists in this taxonomy.",
            "data": {"status": 400, "term_id": 42}, "additional_data": [42]})
        m.get(re.compile(r".*/tags/42.*"), payload={"id": 42, "name": "파이썬"})
        assert await wp.ensure_term("tags", "파이썬") == (42, False)
        m.post(f"{API}/categories", status=201, payload={"id": 7, "name": "Child"})
        assert await wp.ensure_term("categories", "Child", parent=3) == (7, True)
        _, kwargs = sent(m, "POST", r"/categories")
    assert kwargs["json"] == {"name": "Child", "parent": 3}


async def test_term_exists_for_another_name_gets_its_own_slug(wp):
    # WordPress 6.1: "travel" under a parent whose child "여행" already has the slug "travel".
    with aioresponses() as m:
        m.post(f"{API}/categories", status=400, payload={
            "code": "term_exists", "message": "A term with the name provided already exists with this parent.",
            "data": {"status": 400, "term_id": 9}})
        m.get(re.compile(r".*/categories/9.*"), payload={"id": 9, "name": "여행"})
        m.post(f"{API}/categories", status=201, payload={"id": 10, "name": "travel"})
        assert await wp.ensure_term("categories", "travel", parent=3) == (10, True)
        posts = m.requests[("POST", next(u for (meth, u) in m.requests if meth == "POST"))]
    assert posts[-1].kwargs["json"] == {"name": "travel", "parent": 3, "slug": "travel-2"}


async def test_other_term_errors_are_permanent(wp):
    with aioresponses() as m:
        m.post(f"{API}/tags", status=400, payload={"code": "rest_invalid_param", "message": "bad name"})
        with pytest.raises(PermanentError, match="bad name"):
            await wp.ensure_term("tags", "")


async def test_delete_404_means_already_gone(wp):
    with aioresponses() as m:
        m.delete(re.compile(r".*/posts/3.*"), status=404, payload={"code": "rest_post_invalid_id"})
        m.delete(re.compile(r".*/media/4.*"), status=200, payload={"deleted": True})
        assert await wp.delete_post(3) is False
        assert await wp.delete_media(4) is True
        url, _ = sent(m, "DELETE", r"/media/4")
    assert "force=true" in str(url)


async def test_marker_search_checks_raw_content(wp):
    with aioresponses() as m:
        m.get(re.compile(r".*/posts\?.*"), payload=[
            {"id": 1, "status": "draft", "slug": "", "link": "x", "content": {"raw": "a <!-- tistory-post-ab --> b"}},
            {"id": 2, "status": "draft", "slug": "", "link": "x", "content": {"raw": "tistory-post-a only a prefix"}},
        ], headers={"X-WP-TotalPages": "1"})
        found = await wp.find_posts_by_marker("tistory-post-ab")
        url, _ = sent(m, "GET", r"/posts")
    assert [p.id for p in found] == [1]
    assert "status=any" in str(url) and "context=edit" in str(url)


def test_local_and_gmt():
    when = datetime(2025, 11, 13, 17, 9, 1, tzinfo=timezone(timedelta(hours=9)))
    assert local_and_gmt(when, ZoneInfo("Asia/Seoul")) == ("2025-11-13T17:09:01", "2025-11-13T08:09:01")
    assert local_and_gmt(when, ZoneInfo("Europe/Berlin")) == ("2025-11-13T09:09:01", "2025-11-13T08:09:01")
    with pytest.raises(ValueError):
        local_and_gmt(datetime(2025, 1, 1), timezone.utc)


def _answer(status, body, ctype="application/json"):
    import json as _json

    from migrator.http import Response

    raw = _json.dumps(body).encode() if isinstance(body, dict) else body.encode()
    return Response(status, {"Content-Type": ctype}, raw, API + "/media")


@pytest.mark.parametrize(
    "status, body, kind",
    [
        (500, {"code": "rest_upload_sideload_error", "message": "Unable to create directory "
               "wp-content/uploads/2026/12. Is its parent directory writable by the server?"}, "transient"),
        (500, {"code": "rest_upload_sideload_error", "message": "디렉토리 wp-content/uploads/2026/12 을 만들 수 없습니다."},
         "transient"),
        (500, {"code": "rest_upload_sideload_error", "message": "Sorry, you are not allowed to upload this file type."},
         "permanent"),
        (500, {"code": "db_insert_error", "message": "Could not insert post into the database."}, "transient"),
        (400, {"code": "db_insert_error", "message": "Could not insert attachment into the database."}, "transient"),
        (500, {"code": "x", "message": "Lock wait timeout exceeded; try restarting transaction"}, "transient"),
        (502, "<html>Bad Gateway</html>", "transient"),
        (520, "<html>origin error</html>", "transient"),
        (501, {"code": "rest_trash_not_supported", "message": "..."}, None),
        (400, {"code": "rest_invalid_param", "message": "..."}, None),
    ],
)
def test_wordpress_answers_are_classified(status, body, kind):
    from migrator.wordpress.client import classify_wordpress_answer

    assert classify_wordpress_answer(_answer(status, body)) == kind


def test_rest_root_with_rest_route_merges_the_request_parameters():
    from migrator.wordpress.site import RestRoot

    plain = RestRoot("https://ex.com/blog/index.php?rest_route=/")
    assert plain.endpoint("/wp/v2/media", {"title": "a&b", "post": "3"}) == (
        "https://ex.com/blog/index.php", {"rest_route": "/wp/v2/media", "title": "a&b", "post": "3"})
    assert plain.endpoint("") == ("https://ex.com/blog/index.php", {"rest_route": "/"})
    pretty = RestRoot("https://ex.com/blog/wp-json/")
    assert pretty.endpoint("/wp/v2/posts/5", {"force": "true"}) == (
        "https://ex.com/blog/wp-json/wp/v2/posts/5", {"force": "true"})
    assert pretty.endpoint("") == ("https://ex.com/blog/wp-json/", {})
