"""Issue 12, static pages: `/pages/<slug>` URLs, a page's HTML read tolerantly, the item kind in the
job database (schema 5 -> 6), redirects from a page's old addresses, and links to pages never
predicted from the posts' permalink structure."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from migrator.commands.redirects import old_paths
from migrator.core.first_links import LINK_STYLE_KEY, LinkDecider, OwnPost
from migrator.core.offload import ParsedPage
from migrator.core.reading import Readable
from migrator.errors import ParseError, SkipPost
from migrator.models import PostRef, SourcePost
from migrator.state.store import MIGRATIONS, LinkRow, StateStore
from migrator.tistory.parse import parse_post
from migrator.tistory.urls import PostUrl, canonical_page_url, classify_post_url, is_page_url
from migrator.wordpress.records import WpPermalink

DATA = Path(__file__).resolve().parent.parent / "data"
HOSTS = frozenset({"ramen4598.tistory.com"})
BLOG = "https://ramen4598.tistory.com"
A637 = (DATA / "skin-A_post637_owner-view_imageblock-opengraph-code-fileblock_ramen4598.html").read_text("utf-8")


# ---------------------------------------------------------------------------------------- URLs
@pytest.mark.parametrize(
    ("url", "slug"),
    [
        (f"{BLOG}/pages/about", "about"),
        (f"{BLOG}/m/pages/about/", "about"),
        ("/pages/about?x=1#top", "about"),
        (f"{BLOG}/pages/%EC%97%B0%EB%9D%BD%EC%B2%98", "연락처"),
        (f"{BLOG}/pages/연락처", "연락처"),
    ],
)
def test_a_pages_url_is_a_page_for_callers_that_ask(url: str, slug: str) -> None:
    assert classify_post_url(url, HOSTS, base=BLOG, pages=True) == PostUrl(None, slug, "page")
    assert classify_post_url(url, HOSTS, base=BLOG) is None  # callers that cannot handle pages


def test_not_pages() -> None:
    for url in (f"{BLOG}/pages", f"{BLOG}/pages/", f"{BLOG}/pages/a/b", "https://other.tistory.com/pages/about"):
        assert classify_post_url(url, HOSTS, pages=True) is None
    assert classify_post_url(f"{BLOG}/entry/about", HOSTS, pages=True) == PostUrl(None, "about", "post")


def test_one_canonical_page_url_per_slug() -> None:
    raw, encoded = canonical_page_url(BLOG, "연락처"), canonical_page_url(BLOG + "/", "%EC%97%B0")
    assert raw == f"{BLOG}/pages/%EC%97%B0%EB%9D%BD%EC%B2%98" and is_page_url(raw)
    assert encoded == f"{BLOG}/pages/%25EC%2597%25B0"  # a slug is decoded before: its % is a character
    assert not is_page_url(f"{BLOG}/entry/x") and not is_page_url(f"{BLOG}/pages/")


# ---------------------------------------------------------------------------------------- parsing
def _bare(html: str) -> str:
    """The page without what a page may not carry: entryInfo, dg:plink, article:txid, dates, JSON-LD."""
    html = re.sub(r"window\.T\.entryInfo\s*=\s*\{[^}]*\};?", "", html)
    html = re.sub(r'<meta[^>]+(dg:plink|article:txid|article:published_time|article:modified_time)[^>]*>', "", html)
    return re.sub(r'<script type="application/ld\+json">.*?</script>', "", html, flags=re.S)


def test_a_page_is_read_with_its_slug_and_the_entry_id_it_carries() -> None:
    source = parse_post(A637, f"{BLOG}/pages/about", kind="page")
    assert source.kind == "page" and source.slug == "about" and source.post_id == 637
    assert source.canonical_url == f"{BLOG}/pages/about" and source.identity == "page:about"
    assert source.category_path == () and source.tags == ()
    assert source.title == "[AI] Spec-kit 사용 후기" and "<" in source.body_html


def test_a_page_without_id_or_date_is_still_read() -> None:
    bare = _bare(A637)
    assert "entryInfo =" not in bare and "dg:plink" not in bare and "published_time" not in bare
    with pytest.raises(SkipPost):
        parse_post(bare, f"{BLOG}/637")  # a post page without them is not a readable post
    source = parse_post(bare, f"{BLOG}/pages/%EC%97%B0%EB%9D%BD%EC%B2%98", kind="page")
    assert source.post_id == 0 and source.published is None and source.slug == "연락처"
    assert source.identity == "page:연락처"


def test_a_page_reached_under_its_entry_id_is_not_taken_for_a_post() -> None:
    as_page = A637.replace('og:url" content="https://ramen4598.tistory.com/637"',
                           'og:url" content="https://ramen4598.tistory.com/pages/about"')
    as_page = as_page.replace('rel="canonical" href="https://ramen4598.tistory.com/637"',
                              'rel="canonical" href="https://ramen4598.tistory.com/pages/about"')
    assert as_page != A637
    with pytest.raises(SkipPost, match="static page"):
        parse_post(as_page, f"{BLOG}/637")
    assert parse_post(as_page, f"{BLOG}/pages/about", kind="page").slug == "about"


def test_an_error_page_under_pages_is_skipped_and_a_post_address_is_not_a_page() -> None:
    error_page = "<html><body id='tt-body-page'><script>window.T.config = {}</script>존재하지 않는 페이지</body></html>"
    with pytest.raises(SkipPost):
        parse_post(error_page, f"{BLOG}/pages/gone", kind="page")
    with pytest.raises(ParseError):
        parse_post(A637, f"{BLOG}/637", kind="page")


# ---------------------------------------------------------------------------------------- state
async def test_a_schema_5_database_gains_the_item_kind_and_pages_are_known_by_url(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for version, script in enumerate(MIGRATIONS[:5], start=1):
        conn.executescript(f"{script}\nPRAGMA user_version = {version};")
    conn.execute(
        "INSERT INTO items (post_id, canonical_url, slug, status, updated_at) "
        f"VALUES (7, '{BLOG}/7', 'about', 'completed', 0)"
    )
    conn.commit()
    conn.close()
    store = await StateStore.open(path)
    try:
        old = await store.item_by_post_id(7)
        assert old is not None and old.kind == "post"
        url = canonical_page_url(BLOG, "about")
        page = await store.upsert_item(post_id=None, canonical_url=url, slug="about", discovered_by="sitemap", kind="page")
        again = await store.upsert_item(post_id=None, canonical_url=url, slug="about", discovered_by="list", kind="page")
        assert again.id == page.id and again.kind == "page" and again.post_id is None
        # An /entry/about link names the post, never the page of the same slug.
        found = await store.item_by_slug("about")
        assert found is not None and found.id == old.id
        assert await store.status_counts(kind="page") == {"pending": 1, "running": 0, "completed": 0,
                                                          "failed": 0, "skipped": 0}
    finally:
        await store.close()


def test_a_pages_old_addresses_redirect() -> None:
    paths = [p for p, _ in old_paths(None, "연락처", (), kind="page")]
    assert paths[:2] == ["/pages/연락처", "/m/pages/연락처"]
    assert "/pages/%EC%97%B0%EB%9D%BD%EC%B2%98" in paths and not any("entry" in p for p in paths)


# ---------------------------------------------------------------------------------------- links
class _PageReader:
    """Answers every read with the page "About me" (what a look at the link's target would find)."""

    async def read(self, ref: PostRef) -> Readable:
        source = SourcePost(
            post_id=0, canonical_url=ref.url, title="About me", published=datetime(2024, 3, 5, tzinfo=UTC),
            modified=None, category_path=(), tags=(), author=None, excerpt="", slug=None, body_html="",
            featured_image_url=None,
        )
        return Readable(ParsedPage(source=source), ref.url)


async def test_a_link_to_a_page_is_never_predicted_from_the_posts_structure(tmp_path: Path) -> None:
    store = await StateStore.open(tmp_path / "m.db")
    try:
        async def sample() -> tuple[WpPermalink, str]:
            hello = WpPermalink(1, "publish", "hello-world", "https://wp.example/2024/hello-world/",
                                "https://wp.example/2024/%postname%/")
            return hello, "2024-01-01T09:00:00"

        decider = LinkDecider(store=store, reader=_PageReader(),  # type: ignore[arg-type]
                              site_tz=lambda: UTC, sample=sample, home="https://wp.example")
        url = canonical_page_url(BLOG, "about")
        row = LinkRow("/pages/about", url, None, None, "")
        own = OwnPost(999, "a-post", "2024-03-05T00:00:00")
        (decision,) = await decider.decide([row], own)
        assert decision.new_href is None  # left for the end pass: not /2024/about-me/

        page = await store.upsert_item(post_id=None, canonical_url=url, slug="about", discovered_by="list", kind="page")
        await store.complete_item(page, wp_post_id=42, wp_slug="about", wp_link="https://wp.example/?page_id=42",
                                  title="About me", images=0, wp_address="https://wp.example/about/")
        (decision,) = await decider.decide([row], own)
        assert decision.new_href == "https://wp.example/about/" and decision.target_item_id == page.id
        await store.set_meta(LINK_STYLE_KEY, "id")
        by_id = LinkDecider(store=store, reader=_PageReader(),  # type: ignore[arg-type]
                            site_tz=lambda: UTC, sample=sample, home="https://wp.example")
        (decision,) = await by_id.decide([row], own)
        assert decision.new_href == "https://wp.example/?page_id=42"
    finally:
        await store.close()
