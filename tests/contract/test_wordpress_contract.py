"""The WordPress behaviours the engine relies on, asserted against FakeWordPress AND a real one.

Every test runs twice: `[fake]` (always) and `[real]` (a real WordPress 6.1 from
scripts/wp-local.sh; skipped with a hint when it cannot start, failed under
MIGRATOR_REQUIRE_WP=1). The real instance is shared by the whole session, so every test uses
unique names (a uuid suffix).
"""

from __future__ import annotations

import struct
import uuid
import zlib
from typing import TYPE_CHECKING
from urllib.parse import quote

import aiohttp
import pytest

if TYPE_CHECKING:
    from tests.contract.conftest import WPApi


def uid() -> str:
    return uuid.uuid4().hex[:10]


def png(width: int = 3, height: int = 2) -> bytes:
    """A valid RGB PNG of the given size."""
    raw = b"".join(b"\x00" + b"\x10\x20\x30" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


async def create_post(wp: WPApi, **fields: object) -> dict:
    reply = await wp.post("/wp/v2/posts", json={"status": "draft", **fields})
    assert reply.status == 201, reply.body
    return reply.body


async def upload(
    wp: WPApi,
    filename: str,
    data: bytes,
    *,
    ctype: str = "image/png",
    params: dict[str, str] | None = None,
    disposition: str | None = None,
) -> tuple[int, dict]:
    headers = {"Content-Type": ctype}
    headers["Content-Disposition"] = disposition or f'attachment; filename="{filename}"'
    reply = await wp.post("/wp/v2/media", data=data, headers=headers, params=params)
    return reply.status, reply.body


# ---------------------------------------------------------------------------------------------
# authentication


async def test_index_and_authentication(wp: WPApi) -> None:
    index = await wp.get("/", auth=False)
    assert index.status == 200
    assert "wp/v2" in index.body["namespaces"]
    assert "application-passwords" in index.body["authentication"]
    assert index.body["timezone_string"] == "Asia/Seoul"
    assert index.body["gmt_offset"] == 9
    assert index.body["url"] == wp.base

    me = await wp.get("/wp/v2/users/me", params={"context": "edit"})
    assert me.status == 200
    assert me.body["username"] == wp.user
    # The password works without its display spaces, and the e-mail works as the user name.
    nospace = await wp.get("/wp/v2/users/me", auth=wp.auth_header(wp.user, wp.app_password.replace(" ", "")))
    assert nospace.status == 200
    by_mail = await wp.get("/wp/v2/users/me", auth=wp.auth_header(f"{wp.user}@example.com"))
    assert by_mail.status == 200
    # ?rest_route= reaches the same API (sites without pretty permalinks).
    fallback = await wp.get(f"{wp.base}/?rest_route=/wp/v2/users/me")
    assert fallback.status == 200 and fallback.body["id"] == me.body["id"]


async def test_wrong_password_is_anonymous_not_an_error(wp: WPApi) -> None:
    bad = wp.auth_header(wp.user, "wrong pass word here")
    me = await wp.get("/wp/v2/users/me", auth=bad)
    assert me.status == 401
    assert me.body == {
        "code": "rest_not_logged_in",
        "message": "You are not currently logged in.",
        "data": {"status": 401},
    }
    create = await wp.post("/wp/v2/posts", auth=bad, json={"title": "x"})
    assert create.status == 401
    assert create.body == {
        "code": "rest_cannot_create",
        "message": "Sorry, you are not allowed to create posts as this user.",
        "data": {"status": 401},
    }
    public = await wp.get("/wp/v2/posts", auth=bad)
    assert public.status == 200


async def test_subscriber_is_forbidden_not_unauthorized(wp: WPApi) -> None:
    sub = wp.subscriber_auth()
    me = await wp.get("/wp/v2/users/me", auth=sub)
    assert me.status == 200
    create = await wp.post("/wp/v2/posts", auth=sub, json={"title": "x"})
    assert create.status == 403 and create.code == "rest_cannot_create"
    drafts = await wp.get("/wp/v2/posts", auth=sub, params={"status": "draft"})
    assert drafts.status == 400
    assert drafts.body["data"]["details"]["status"]["data"] == {"status": 403}


# ---------------------------------------------------------------------------------------------
# posts


async def test_draft_has_empty_slug_and_generated_slug(wp: WPApi) -> None:
    u = uid()
    post = await create_post(wp, title=f"한글 제목 {u}", content="<p>본문</p>")
    assert post["status"] == "draft"
    assert post["slug"] == ""
    assert post["generated_slug"] == f"한글-제목-{u}"
    assert post["link"] == f"{wp.base}/?p={post['id']}"
    assert post["categories"] == [1]
    anon = await wp.get(f"/wp/v2/posts/{post['id']}", auth=False)
    assert anon.status == 401
    assert anon.body == {
        "code": "rest_forbidden",
        "message": "Sorry, you are not allowed to do that.",
        "data": {"status": 401},
    }
    published = await wp.post(f"/wp/v2/posts/{post['id']}", json={"status": "publish"})
    assert published.status == 200
    slug = f"{quote('한글').lower()}-{quote('제목').lower()}-{u}"
    assert published.body["slug"] == slug
    assert published.body["link"] == f"{wp.base}/{slug}/"
    assert (await wp.get(f"/wp/v2/posts/{post['id']}", auth=False)).status == 200


async def test_explicit_slugs_are_made_unique_even_for_drafts(wp: WPApi) -> None:
    slug = f"same-{uid()}"
    slugs = [(await create_post(wp, title="t", slug=slug))["slug"] for _ in range(3)]
    assert slugs == [slug, f"{slug}-2", f"{slug}-3"]
    # An all-digit slug would clash with a year archive under /%postname%/.
    number = str(uuid.uuid4().int % 10**9 + 10**9)
    assert (await create_post(wp, title="n", slug=number))["slug"] == f"{number}-2"


async def test_slug_lookup_of_a_draft_needs_status_any(wp: WPApi) -> None:
    slug = f"draft-{uid()}"
    post = await create_post(wp, title="t", slug=slug)
    default = await wp.get("/wp/v2/posts", params={"slug": slug})
    assert default.status == 200 and default.body == []
    found = await wp.get("/wp/v2/posts", params={"slug": slug, "status": "any", "_fields": "id,slug"})
    assert found.body == [{"id": post["id"], "slug": slug}]
    anon = await wp.get("/wp/v2/posts", auth=False, params={"slug": slug, "status": "any"})
    assert anon.status == 400
    assert anon.body == {
        "code": "rest_invalid_param",
        "message": "Invalid parameter(s): status",
        "data": {
            "status": 400,
            "params": {"status": "Status is forbidden."},
            "details": {
                "status": {
                    "code": "rest_forbidden_status",
                    "message": "Status is forbidden.",
                    "data": {"status": 401},
                }
            },
        },
    }


async def test_search_finds_comment_marker_in_draft_content(wp: WPApi) -> None:
    marker = f"tistory-post-{uid()}"
    content = f"<p>본문</p>\n<!-- {marker} -->"
    post = await create_post(wp, title="marker post", content=content)
    other = await create_post(wp, title="other post", content="<p>nothing</p>")
    found = await wp.get("/wp/v2/posts", params={"search": marker, "status": "any", "context": "edit"})
    assert found.status == 200
    assert [p["id"] for p in found.body] == [post["id"]]
    assert found.body[0]["content"]["raw"] == content
    # Without status=any a draft is invisible even to the admin.
    assert (await wp.get("/wp/v2/posts", params={"search": marker})).body == []
    # `search` goes through sanitize_text_field: the whole comment is stripped to nothing, so
    # searching for "<!-- marker -->" filters NOTHING (both posts come back).
    stripped = await wp.get(
        "/wp/v2/posts",
        params={"search": f"<!-- {marker} -->", "status": "any", "per_page": 100, "_fields": "id"},
    )
    ids = {p["id"] for p in stripped.body}
    assert {post["id"], other["id"]} <= ids or int(stripped.headers["X-WP-Total"]) > 100
    # Every space-separated word must match; a leading '-' excludes.
    both = await wp.get(
        "/wp/v2/posts", params={"search": f"marker {marker}", "status": "any", "_fields": "id"}
    )
    assert [p["id"] for p in both.body] == [post["id"]]
    excluded = await wp.get("/wp/v2/posts", params={"search": f"{marker} -post", "status": "any"})
    assert excluded.body == []


async def test_dates_are_site_local_and_gmt_is_utc(wp: WPApi) -> None:
    local = await create_post(wp, title="d1", date="2015-03-04T05:06:07")
    assert (local["date"], local["date_gmt"]) == ("2015-03-04T05:06:07", "2015-03-03T20:06:07")
    assert (local["modified"], local["modified_gmt"]) == ("2015-03-04T05:06:07", "2015-03-03T20:06:07")
    gmt = await create_post(wp, title="d2", date_gmt="2015-03-04T05:06:07")
    assert (gmt["date"], gmt["date_gmt"]) == ("2015-03-04T14:06:07", "2015-03-04T05:06:07")
    offset = await create_post(wp, title="d3", date="2015-03-04T05:06:07+00:00")
    assert (offset["date"], offset["date_gmt"]) == ("2015-03-04T14:06:07", "2015-03-04T05:06:07")
    both = await create_post(wp, title="d4", date="2015-03-04T05:06:07", date_gmt="2001-01-01T00:00:00")
    assert both["date_gmt"] == "2015-03-03T20:06:07"  # `date` wins
    future = await create_post(wp, title="d5", status="publish", date="2099-01-01T00:00:00")
    assert future["status"] == "future"
    bad = await wp.post("/wp/v2/posts", json={"title": "d6", "date": "yesterday"})
    assert bad.status == 400 and bad.code == "rest_invalid_param"
    assert bad.body["data"]["details"]["date"]["code"] == "rest_invalid_date"


async def test_update_subset_and_context_edit(wp: WPApi) -> None:
    post = await create_post(wp, title="before", content="c1", excerpt="e1")
    upd = await wp.post(f"/wp/v2/posts/{post['id']}", json={"content": "c2"})
    assert upd.status == 200
    got = await wp.get(f"/wp/v2/posts/{post['id']}", params={"context": "edit"})
    assert (got.body["title"]["raw"], got.body["content"]["raw"], got.body["excerpt"]["raw"]) == (
        "before",
        "c2",
        "e1",
    )
    view = await wp.get(f"/wp/v2/posts/{post['id']}")
    assert "raw" not in view.body["content"]
    missing = await wp.post("/wp/v2/posts/99999999", json={"title": "x"})
    assert missing.status == 404 and missing.code == "rest_post_invalid_id"
    broken = await wp.post(
        f"/wp/v2/posts/{post['id']}", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status == 400 and broken.code == "rest_invalid_json"


async def test_a_draft_gets_a_revision_per_changing_update_that_cannot_be_deleted(wp: WPApi) -> None:
    post = await create_post(wp, title="r", content="c1")
    path = f"/wp/v2/posts/{post['id']}/revisions"
    created = await wp.get(path, params={"context": "edit"})
    assert created.status == 200 and created.body == []  # a create stores no revision
    for content in ("c2", "c2", "c3"):  # the unchanged update stores none
        assert (await wp.post(f"/wp/v2/posts/{post['id']}", json={"content": content})).status == 200
    listed = await wp.get(path, params={"context": "edit", "_fields": "id,content"})
    assert [r["content"]["raw"] for r in listed.body] == ["c3", "c2"]  # newest first
    # Revisions cannot be deleted over REST (6.1 maps it to do_not_allow), forced or not: a tool
    # that updates drafts leaves revisions behind for good.
    for params in ({}, {"force": "true"}):
        refused = await wp.delete(f"{path}/{listed.body[0]['id']}", params=params)
        assert refused.status == 403 and refused.code == "rest_cannot_delete"


async def test_post_trash_then_force_delete(wp: WPApi) -> None:
    slug = f"del-{uid()}"
    post = await create_post(wp, title="t", slug=slug, status="publish")
    trashed = await wp.delete(f"/wp/v2/posts/{post['id']}")
    assert trashed.status == 200
    assert trashed.body["status"] == "trash" and trashed.body["slug"] == f"{slug}__trashed"
    again = await wp.delete(f"/wp/v2/posts/{post['id']}")
    assert again.status == 410 and again.code == "rest_already_trashed"
    forced = await wp.delete(f"/wp/v2/posts/{post['id']}", params={"force": "true"})
    assert forced.status == 200
    assert forced.body["deleted"] is True and forced.body["previous"]["id"] == post["id"]
    gone = await wp.delete(f"/wp/v2/posts/{post['id']}", params={"force": "true"})
    assert gone.status == 404
    assert gone.body == {
        "code": "rest_post_invalid_id",
        "message": "Invalid post ID.",
        "data": {"status": 404},
    }


async def test_per_page_bounds_and_pagination_headers(wp: WPApi) -> None:
    too_many = await wp.get("/wp/v2/posts", params={"per_page": "101"})
    assert too_many.status == 400
    assert too_many.body["data"]["params"] == {
        "per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"
    }
    marker = f"page-{uid()}"
    ids = [(await create_post(wp, title=f"{marker} {i}"))["id"] for i in range(3)]
    first = await wp.get(
        "/wp/v2/posts",
        params={
            "search": marker,
            "status": "any",
            "per_page": "2",
            "orderby": "id",
            "order": "asc",
            "_fields": "id",
        },
    )
    assert (first.headers["X-WP-Total"], first.headers["X-WP-TotalPages"]) == ("3", "2")
    assert [p["id"] for p in first.body] == ids[:2]
    assert 'rel="next"' in first.headers["Link"] and 'rel="prev"' not in first.headers["Link"]
    second = await wp.get(
        "/wp/v2/posts",
        params={
            "search": marker,
            "status": "any",
            "per_page": "2",
            "page": "2",
            "orderby": "id",
            "order": "asc",
        },
    )
    assert [p["id"] for p in second.body] == ids[2:]
    assert 'rel="prev"' in second.headers["Link"] and 'rel="next"' not in second.headers["Link"]
    past = await wp.get(
        "/wp/v2/posts", params={"search": marker, "status": "any", "per_page": "2", "page": "3"}
    )
    assert past.status == 400 and past.code == "rest_post_invalid_page_number"
    empty = await wp.get("/wp/v2/posts", params={"search": f"none-{uid()}", "page": "1"})
    assert empty.status == 200 and empty.body == [] and empty.headers["X-WP-TotalPages"] == "0"


# ---------------------------------------------------------------------------------------------
# media


async def test_raw_upload_korean_name_with_query_fields(wp: WPApi) -> None:
    u = uid()
    parent = await create_post(wp, title="parent")
    marker = f"<!-- tistory-img-{u} -->"
    data = png(3, 2)
    status, media = await upload(
        wp,
        f"한글 사진 {u}.png",
        data,
        params={
            "title": f"제목 {u}",
            "alt_text": "대체 텍스트",
            "caption": "캡션",
            "description": marker,
            "post": str(parent["id"]),
        },
    )
    assert status == 201, media
    assert media["source_url"].endswith(f"/한글-사진-{u}.png")
    assert media["media_details"]["file"].endswith(f"/한글-사진-{u}.png")
    assert (media["media_details"]["width"], media["media_details"]["height"]) == (3, 2)
    assert media["title"]["raw"] == f"제목 {u}"
    assert media["alt_text"] == "대체 텍스트"
    assert media["caption"]["raw"] == "캡션"
    assert media["description"]["raw"] == marker  # the HTML comment survives intact
    assert media["post"] == parent["id"]
    assert (media["media_type"], media["mime_type"]) == ("image", "image/png")
    # The marker finds it (the bare marker text: the search drops the comment delimiters).
    found = await wp.get("/wp/v2/media", params={"search": f"tistory-img-{u}", "context": "edit"})
    assert [m["id"] for m in found.body] == [media["id"]]
    assert found.body[0]["description"]["raw"] == marker
    # Searching with the comment delimiters matches EVERYTHING (sanitize_text_field strips the
    # comment): another upload comes back too.
    other_status, other = await upload(wp, f"other-{u}.png", png())
    assert other_status == 201
    delimited = await wp.get("/wp/v2/media", params={"search": marker, "per_page": "100", "_fields": "id"})
    ids = {m["id"] for m in delimited.body}
    assert {media["id"], other["id"]} <= ids or int(delimited.headers["X-WP-Total"]) > 100
    by_parent = await wp.get("/wp/v2/media", params={"parent": str(parent["id"]), "_fields": "id,post"})
    assert by_parent.body == [{"id": media["id"], "post": parent["id"]}]
    # Attachments of a draft are not public.
    assert (await wp.get(f"/wp/v2/media/{media['id']}", auth=False)).status == 401
    status_code, body, ctype = await wp.fetch(media["source_url"])
    assert (status_code, body, ctype) == (200, data, "image/png")


async def test_same_file_name_gets_numbered_suffix(wp: WPApi) -> None:
    name = f"같은이름-{uid()}"
    urls = []
    for _ in range(3):
        status, media = await upload(wp, f"{name}.png", png())
        assert status == 201
        urls.append(media["source_url"].rsplit("/", 1)[1])
    assert urls == [f"{name}.png", f"{name}-1.png", f"{name}-2.png"]


async def test_multipart_upload_and_aiohttp_filename_quoting(wp: WPApi) -> None:
    u = uid()
    form = aiohttp.FormData(quote_fields=False)
    form.add_field("file", png(), filename=f"한글 폼 {u}.png", content_type="image/png")
    form.add_field("description", f"<!-- m-{u} -->")
    raw = await wp.post("/wp/v2/media", data=form)
    assert raw.status == 201, raw.body
    assert raw.body["source_url"].endswith(f"/한글-폼-{u}.png")
    assert raw.body["description"]["raw"] == f"<!-- m-{u} -->"
    # aiohttp's default FormData percent-encodes the name; WordPress then strips the '%'.
    quoted = aiohttp.FormData()
    quoted.add_field("file", png(), filename=f"한-{u}.png", content_type="image/png")
    stored = await wp.post("/wp/v2/media", data=quoted)
    assert stored.status == 201
    assert stored.body["source_url"].endswith(f"/ED959C-{u}.png")


async def test_upload_header_and_type_errors(wp: WPApi) -> None:
    data = png()
    status, body = await upload(wp, "", data, disposition="attachment; filename*=UTF-8''%ED%95%9C.png")
    assert (status, body["code"]) == (400, "rest_upload_invalid_disposition")
    none = await wp.post("/wp/v2/media", data=data, headers={"Content-Type": "image/png"})
    assert (none.status, none.code) == (400, "rest_upload_no_content_disposition")
    both = await upload(
        wp, "", data, disposition=f"attachment; filename=\"fb-{uid()}.png\"; filename*=UTF-8''%ED.png"
    )
    assert both[0] == 201 and "/fb-" in both[1]["source_url"]
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>'
    status, body = await upload(wp, "a.svg", svg, ctype="image/svg+xml")
    assert status == 500
    assert body == {
        "code": "rest_upload_sideload_error",
        "message": "Sorry, you are not allowed to upload this file type.",
        "data": {"status": 500},
    }
    status, body = await upload(wp, "noext", data)
    assert (status, body["code"]) == (500, "rest_upload_sideload_error")
    status, body = await upload(wp, "fake.png", b"this is not an image")
    assert (status, body["code"]) == (500, "rest_upload_sideload_error")
    name = f"misnamed-{uid()}"
    status, body = await upload(wp, f"{name}.jpg", data, ctype="image/jpeg")
    assert status == 201 and body["source_url"].endswith(f"/{name}.png") and body["mime_type"] == "image/png"
    status, body = await upload(wp, f"pct-{uid()}-%ED%95%9C.png", data)
    assert status == 201 and body["source_url"].endswith("-ED959C.png")
    status, body = await upload(wp, "x.png", data, params={"post": "99999999"})
    assert (status, body["code"]) == (403, "rest_cannot_edit")


async def test_media_update_and_delete_needs_force(wp: WPApi) -> None:
    status, media = await upload(wp, f"del-{uid()}.png", png())
    assert status == 201
    upd = await wp.post(f"/wp/v2/media/{media['id']}", json={"alt_text": "new", "post": 0})
    assert upd.status == 200 and upd.body["alt_text"] == "new" and upd.body["post"] is None
    soft = await wp.delete(f"/wp/v2/media/{media['id']}")
    assert soft.status == 501
    assert soft.body == {
        "code": "rest_trash_not_supported",
        "message": "The post does not support trashing. Set 'force=true' to delete.",
        "data": {"status": 501},
    }
    forced = await wp.delete(f"/wp/v2/media/{media['id']}", params={"force": "true"})
    assert forced.status == 200 and forced.body["deleted"] is True
    assert (await wp.fetch(media["source_url"]))[0] == 404
    again = await wp.delete(f"/wp/v2/media/{media['id']}", params={"force": "true"})
    assert (again.status, again.code) == (404, "rest_post_invalid_id")


# ---------------------------------------------------------------------------------------------
# terms


async def test_tag_exists_returns_the_existing_id(wp: WPApi) -> None:
    name = f"태그{uid()}"
    first = await wp.post("/wp/v2/tags", json={"name": name})
    assert first.status == 201
    assert first.body["slug"] == quote(name).lower()
    dup = await wp.post("/wp/v2/tags", json={"name": name})
    assert dup.status == 400
    assert dup.body == {
        "code": "term_exists",
        "message": "A term with the name provided already exists in this taxonomy.",
        "data": {"status": 400, "term_id": first.body["id"]},
        "additional_data": [first.body["id"], first.body["id"]],
    }
    upper = await wp.post("/wp/v2/tags", json={"name": name.upper()})  # names compare case-insensitively
    assert upper.status == 400 and upper.body["data"]["term_id"] == first.body["id"]
    by_slug = await wp.get("/wp/v2/tags", params={"slug": name})  # the Korean name, encoded once
    assert [t["id"] for t in by_slug.body] == [first.body["id"]]
    other_slug = await wp.post("/wp/v2/tags", json={"name": name, "slug": f"other-{uid()}"})
    assert other_slug.status == 201  # same name, different explicit slug: a second term


async def test_category_exists_per_parent(wp: WPApi) -> None:
    u = uid()
    p = (await wp.post("/wp/v2/categories", json={"name": f"부모 {u}"})).body
    q = (await wp.post("/wp/v2/categories", json={"name": f"다른부모 {u}"})).body
    child = await wp.post("/wp/v2/categories", json={"name": f"여행 {u}", "parent": p["id"]})
    assert child.status == 201 and child.body["parent"] == p["id"]
    dup = await wp.post("/wp/v2/categories", json={"name": f"여행 {u}", "parent": p["id"]})
    assert dup.status == 400 and dup.code == "term_exists"
    assert dup.body["message"] == "A term with the name provided already exists with this parent."
    assert dup.body["data"]["term_id"] == child.body["id"]
    elsewhere = await wp.post("/wp/v2/categories", json={"name": f"여행 {u}", "parent": q["id"]})
    assert elsewhere.status == 201 and elsewhere.body["id"] != child.body["id"]
    # Its natural slug is taken, so the parent's slug is appended.
    assert elsewhere.body["slug"] == f"{child.body['slug']}-{q['slug']}"
    top = await wp.post("/wp/v2/categories", json={"name": f"여행 {u}"})
    assert top.status == 201 and top.body["parent"] == 0
    children = await wp.get("/wp/v2/categories", params={"parent": str(p["id"]), "_fields": "id"})
    assert children.body == [{"id": child.body["id"]}]
    bad_parent = await wp.post("/wp/v2/categories", json={"name": f"x {u}", "parent": 99999999})
    assert (bad_parent.status, bad_parent.code) == (400, "rest_term_invalid")


async def test_term_count_and_delete_needs_force(wp: WPApi) -> None:
    cat = (await wp.post("/wp/v2/categories", json={"name": f"count {uid()}"})).body
    tag = (await wp.post("/wp/v2/tags", json={"name": f"count {uid()}"})).body
    await create_post(wp, title="draft", categories=[cat["id"]], tags=[tag["id"]])
    await create_post(wp, title="pub", status="publish", categories=[cat["id"]], tags=[tag["id"]])
    assert (await wp.get(f"/wp/v2/categories/{cat['id']}")).body["count"] == 1  # published only
    assert (await wp.get(f"/wp/v2/tags/{tag['id']}")).body["count"] == 1
    soft = await wp.delete(f"/wp/v2/tags/{tag['id']}")
    assert soft.status == 501 and soft.code == "rest_trash_not_supported"
    forced = await wp.delete(f"/wp/v2/tags/{tag['id']}", params={"force": "true"})
    assert forced.status == 200 and forced.body["deleted"] is True
    gone = await wp.get(f"/wp/v2/tags/{tag['id']}")
    assert gone.status == 404
    assert gone.body == {
        "code": "rest_term_invalid",
        "message": "Term does not exist.",
        "data": {"status": 404},
    }
    anon = await wp.post("/wp/v2/tags", auth=False, json={"name": "x"})
    assert (anon.status, anon.code) == (401, "rest_cannot_create")


@pytest.mark.parametrize("route", ["/wp/v2/posts", "/wp/v2/media", "/wp/v2/tags", "/wp/v2/categories"])
async def test_lists_reject_per_page_over_100(wp: WPApi, route: str) -> None:
    reply = await wp.get(route, params={"per_page": "101"})
    assert reply.status == 400 and reply.code == "rest_invalid_param"
    assert reply.body["data"]["details"]["per_page"]["code"] == "rest_out_of_bounds"


# ---------------------------------------------------------------------------------------------
# text fields (issue 8): what WordPress does with `<`, `&` and `%xx` in plain-text fields


async def test_text_fields_raw_and_escaped(wp: WPApi) -> None:
    u = uid()
    raw_text = "Vector<int> & <b>x</b> 100%ab a < b"
    escaped = "Vector&lt;int&gt; &amp; &lt;b&gt;x&lt;/b&gt; 100&#37;ab a &lt; b"
    # title/excerpt: stored exactly as sent (administrator: unfiltered_html); rendered texturizes a bare "&"
    post = await create_post(wp, title=f"{raw_text} {u}", excerpt=escaped)
    assert post["title"]["raw"] == f"{raw_text} {u}"
    assert "&#038;" in post["title"]["rendered"] and "<b>x</b>" in post["title"]["rendered"]
    assert post["excerpt"]["raw"] == escaped
    # alt_text: sanitize_text_field (tags and %xx octets stripped, a lone "<" escaped); caption as sent
    params = {"alt_text": raw_text, "caption": escaped}
    status, media = await upload(wp, f"t-{u}.png", png(), params=params)
    assert status == 201, media
    assert media["alt_text"] == "Vector & x 100 a &lt; b"
    assert media["caption"]["raw"] == escaped
    status, media = await upload(wp, f"e-{u}.png", png(), params={"alt_text": escaped})
    assert status == 201 and media["alt_text"] == escaped  # the escaped form is kept as it is
    # term names: sanitize_text_field, then a bare "&", "<", ">" escaped; existing entities kept
    reply = await wp.post("/wp/v2/tags", json={"name": f"{raw_text} {u}"})
    assert reply.status == 201, reply.body
    assert reply.body["name"] == f"Vector &amp; x 100 a &lt; b {u}"
    reply = await wp.post("/wp/v2/tags", json={"name": f"x > y {u}"})
    assert reply.status == 201 and reply.body["name"] == f"x &gt; y {u}", reply.body
    reply = await wp.post("/wp/v2/tags", json={"name": f"{escaped} {u}"})
    assert reply.status == 201, reply.body
    assert reply.body["name"] == f"{escaped} {u}".replace("&#37;", "&#037;")  # kses pads numeric entities
    again = await wp.post("/wp/v2/tags", json={"name": f"{escaped} {u}"})  # the same name: found
    assert again.status == 400 and again.body["data"]["term_id"] == reply.body["id"], again.body
