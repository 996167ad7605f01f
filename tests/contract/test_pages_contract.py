"""Issue 12: the /wp/v2/pages behaviours static pages rely on, against FakeWordPress AND a real one
(see test_wordpress_contract.py): the same fields and answers as posts but no terms, a `?page_id=`
link until published, `%pagename%` in the permalink template, one id sequence with posts (a page id
on the posts route is an invalid post id), slugs unique among pages only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.contract.test_wordpress_contract import create_post, uid

if TYPE_CHECKING:
    from tests.contract.conftest import WPApi


async def test_a_page_is_created_found_published_and_deleted_on_its_own_route(wp: WPApi) -> None:
    u = uid()
    marker = f"tistory-post-{u}"
    created = await wp.post(
        "/wp/v2/pages", params={"context": "edit"},
        json={"title": f"About {u}", "content": f"<p>me</p>\n<!-- {marker} -->", "status": "draft",
              "slug": f"about-{u}", "parent": 0, "categories": [1], "tags": [1]},
    )
    assert created.status == 201, created.body
    page = created.body
    pid = page["id"]
    assert page["type"] == "page" and page["parent"] == 0 and page["slug"] == f"about-{u}"
    assert "categories" not in page and "tags" not in page  # pages take no terms: ignored, not refused
    assert page["link"] == f"{wp.base}/?page_id={pid}"
    assert page["permalink_template"] == f"{wp.base}/%pagename%/"
    assert page["content"]["raw"].endswith(f"<!-- {marker} -->")

    wrong_route = await wp.get(f"/wp/v2/posts/{pid}", params={"context": "edit"})
    assert wrong_route.status == 404 and wrong_route.code == "rest_post_invalid_id"
    found = await wp.get("/wp/v2/pages", params={"search": marker, "status": "any", "context": "edit"})
    assert [p["id"] for p in found.body] == [pid]
    not_a_post = await wp.get("/wp/v2/posts", params={"search": marker, "status": "any", "context": "edit"})
    assert not_a_post.body == []
    listed = await wp.get(
        "/wp/v2/pages",
        params={"include": str(pid), "status": "any", "context": "edit", "_fields": "id,slug,link,permalink_template"},
    )
    assert listed.body == [{"id": pid, "slug": f"about-{u}", "link": page["link"],
                            "permalink_template": page["permalink_template"]}]

    # A post may have the page's slug: slugs are unique per type.
    assert (await create_post(wp, title="t", slug=f"about-{u}"))["slug"] == f"about-{u}"
    published = await wp.post(f"/wp/v2/pages/{pid}", json={"status": "publish"})
    assert published.status == 200 and published.body["link"] == f"{wp.base}/about-{u}/"

    deleted = await wp.delete(f"/wp/v2/pages/{pid}", params={"force": "true"})
    assert deleted.status == 200 and deleted.body["deleted"] is True
    gone = await wp.delete(f"/wp/v2/pages/{pid}", params={"force": "true"})
    assert gone.status == 404 and gone.code == "rest_post_invalid_id"
