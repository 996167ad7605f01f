"""FakeBlog: a stateful aiohttp app that behaves like a public Tistory blog, for offline tests.

Serves what migrator reads from a blog (tistory.md §3 to §6): post pages (`/<id>`, `/m/<id>`,
`/entry/<slug>`, `/m/entry/<slug>`, `/notice/<id>`) rendered from markup copied from the saved real
pages (Tistory's `<head>` meta tags, `window.T.entryInfo`, JSON-LD, `div.contents_style` inside a
skin wrapper, `a[rel=tag]`), the mobile JSON lists `/m/api/entry/0/{POST,NOTICE}`, `/sitemap.xml`
(optionally a sitemap index), `/rss`, and HTML list pages `/?page=N`, `/category?page=N` in three
skins with different list markup, plus sidebars full of links (recent posts, recent comments, tags).

Knobs reproduce the traps real blogs set: sitemap capped, out-of-range list pages repeating the last
page, no mobile API, cover home page, injected failures (`fail`). Absolute URLs use the host the
request came to (so the fake works on 127.0.0.1:PORT and behind a test resolver alike), except that
a `custom_domain` becomes the blog's public address (canonical, og:url, sitemap, RSS). Images given
in `FakePost.images` are embedded as new-editor `figure.imageblock` markup; serving their bytes is
the job of tests/fakes/cdn.py.

`page_template` replaces the whole post page: a `string.Template` with the placeholders
$head (Tistory's injected head: scripts, meta tags, JSON-LD, canonical), $title (escaped),
$body_id, $article (the skin's post block: header, body or password form, tags), $sidebar.
"""

# ruff: noqa: E501  (HTML templates copied from saved Tistory pages keep their long lines)
from __future__ import annotations

import asyncio
import html
import json
import math
import re
import string
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from urllib.parse import quote

from aiohttp import web

from tests.fakes.blog_comments import CommentApi

__all__ = ["PROTECTED_SUMMARY", "RESET", "FakeBlog", "FakePost", "page_without_data"]

RESET = 0   # a `fail` entry: the connection is dropped without an answer

PROTECTED_SUMMARY = "보호되어 있는 글입니다."
DEFAULT_OG_IMAGE = (
    "https://img1.daumcdn.net/thumb/R800x0/?scode=mtistory2&fname="
    "https%3A%2F%2Ft1.daumcdn.net%2Ftistory_admin%2Fstatic%2Fimages%2FopenGraph%2Fopengraph.png"
)
NO_IMAGE = "//t1.daumcdn.net/tistory_admin/static/images/no-image-v1.png"


@dataclass
class FakePost:
    """One post of the fake blog. `slug` set = the blog uses "문자" URLs for it (/entry/<slug>)."""

    post_id: int
    title: str
    slug: str | None = None
    protected: bool = False
    private: bool = False            # not listed anywhere; its page answers 404 like a deleted post
    category: str = ""               # "Parent/Child" label, "" = uncategorised
    tags: tuple[str, ...] = ()
    published: str = "2024-03-05T10:20:30+09:00"
    body_html: str = "<p>hello</p>"
    images: tuple[str, ...] = ()     # image URLs, rendered after the body as figure.imageblock
    notice: bool = False             # a 공지: /notice/<id>, listed by the NOTICE API only
    modified: str | None = None      # article:modified_time; defaults to `published`
    hidden: bool = False             # readable by URL but missing from every listing (a listing gap)
    # A static page (페이지): served at /pages/<page_slug>, linked from the blog's menu on every page and
    # listed in the sitemap, never in the post lists, RSS or the mobile API; its entry id is a post
    # id of the same sequence (its own /<id> answers 404 here: what Tistory does there is unknown).
    page_slug: str | None = None


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _json(value: object) -> str:
    # Inside <script>: a "</" in a title must not close the script element.
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")


def _dt(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def _category_id(label: str) -> int:
    # Stable, fake but plausible category ids (Tistory's are 6-7 digit numbers).
    return 0 if not label else 100000 + sum(ord(c) * (i + 1) for i, c in enumerate(label)) % 900000


def _thumb(url: str, size: str = "R800x0") -> str:
    return f"https://img1.daumcdn.net/thumb/{size}/?scode=mtistory2&fname={quote(url, safe='')}"


def _summary(post: FakePost) -> str:
    if post.protected:
        return PROTECTED_SUMMARY
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", post.body_html)).strip()[:100]


HEAD_TEMPLATE = string.Template("""<script type="text/javascript">if (!window.T) { window.T = {} }
window.T.config = {"TOP_SSL_URL":"https://www.tistory.com","PREVIEW":false,"ROLE":"guest","PREV_PAGE":"","NEXT_PAGE":"","BLOG":{"id":$blog_id,"name":$blog_name_json,"title":$blog_title_json,"isDormancy":false,"nickName":$author_json,"status":"open","profileStatus":"normal"},"NEED_COMMENT_LOGIN":false,"COMMENT_LOGIN_CONFIRM_MESSAGE":"","LOGIN_URL":"https://www.tistory.com/auth/login/?redirectUrl=$page_url","DEFAULT_URL":"$public_origin","USER":{"name":null,"homepage":null,"id":0,"profileImage":null},"IS_LOGIN":false,"HAS_BLOG":false,"TOP_URL":"http://www.tistory.com","JOIN_URL":"https://www.tistory.com/member/join","PHASE":"prod","ROLE_GROUP":"visitor"};
window.T.entryInfo = $entry_info;
window.appInfo = {"domain":"tistory.com","topUrl":"https://www.tistory.com","loginUrl":"https://www.tistory.com/auth/login","logoutUrl":"https://www.tistory.com/auth/logout"};
window.initData = {};

window.TistoryBlog = {
    basePath: "",
    url: "$public_origin",
    tistoryUrl: "$tistory_url",
    manageUrl: "$tistory_url/manage",
    token: "REDACTED"
};
var servicePath = "";
var blogURL = "";</script>
<meta name="referrer" content="always"/>
<meta name="description" content="$description"/>
<meta property="og:type" content="article"/>
<meta property="og:url" content="$canonical"/>
<meta property="og.article.author" content="$author"/>
<meta property="og:site_name" content="$blog_title"/>
<meta property="og:title" content="$title"/>
<meta name="by" content="$author"/>
<meta property="og:description" content="$description"/>
<meta property="og:image" content="$og_image"/>
<meta name="twitter:card" content="summary_large_image"/>
<meta name="twitter:site" content="@TISTORY"/>
<meta name="twitter:title" content="$title"/>
<meta name="twitter:description" content="$description"/>
<meta property="twitter:image" content="$og_image"/>
<meta content="$plink" property="dg:plink" content="$plink"/>
<meta name="plink"/>
<meta name="title" content="$title"/>
<meta name="article:media_name" content="$blog_title"/>
<meta property="article:mobile_url" content="$mobile_url"/>
<meta property="article:pc_url" content="$canonical"/>
<meta property="article:mobile_view_url" content="$mobile_view_url"/>
<meta property="article:pc_view_url" content="$pc_view_url"/>
<meta property="article:talk_channel_view_url" content="$mobile_view_url"/>
<meta property="article:pc_service_home" content="https://www.tistory.com"/>
<meta property="article:mobile_service_home" content="https://www.tistory.com/m"/>
<meta property="article:txid" content="${blog_id}_$post_id"/>
<meta property="article:published_time" content="$published"/>
<meta property="og:regDate" content="$reg_date"/>
<meta property="article:modified_time" content="$modified"/>
<title>$title :: $blog_title</title>
<meta name="title" content="$title :: $blog_title" />
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1, minimum-scale=1.0, maximum-scale=1.0" />
<link rel="alternate" type="application/rss+xml" title="$blog_title" href="$public_origin/rss" />
<link rel="canonical" href="$canonical"/>

<!-- BEGIN STRUCTURED_DATA -->
<script type="application/ld+json">
    $json_ld
</script>
<!-- END STRUCTURED_DATA -->
<link rel="stylesheet" type="text/css" href="https://tistory1.daumcdn.net/tistory_admin/userblog/userblog-fake/static/style/postBtn.css"/>""")

DEFAULT_PAGE_TEMPLATE = """<!DOCTYPE html>
<html lang="ko">
<head>
$head
</head>
<body id="$body_id">
<div id="wrap">
$article
$sidebar
</div>
<div id="tistorytoolbarid"><h2 class="screen_out">티스토리툴바</h2></div>
</body>
</html>
"""

POST_BUTTONS = """<!-- System - START -->
<div class="container_postbtn #post_button_group">
  <div class="postbtn_like"><div class="wrap_btn" id="reaction-{id}" data-tistory-react-app="Reaction"></div>
  <div class="wrap_btn wrap_btn_share"><button type="button" class="btn_post sns_btn btn_share" data-title="{title}" data-pc-url="{url}" data-relative-pc-url="/{id}"><span class="ico_postbtn ico_share">공유하기</span></button></div>
  <div class="wrap_btn wrap_btn_etc" data-entry-id="{id}" data-entry-visibility="public" data-category-visibility="public"><button type="button" class="btn_post btn_etc2"><span class="ico_postbtn ico_etc">게시글 관리</span></button></div></div>
</div>
<!-- System - END -->"""

ERROR_PAGE = """<!DOCTYPE html>
<html lang="ko"><head>
<script type="text/javascript">if (!window.T) { window.T = {} }
window.T.config = {"TOP_SSL_URL":"https://www.tistory.com","ROLE":"guest","DEFAULT_URL":"%s"};
window.T.entryInfo = null;</script>
<meta charset="utf-8" /><title>TISTORY</title></head>
<body id="tt-body-page"><div id="kakaoIndex"></div><div id="kakaoWrap" class="absent_post">
<div id="kakaoContent" class="cont_absent"><h2>에러 메세지</h2>
<p class="txt_absent">url을 찾을 수 없거나 비공개된 글입니다.</p>
<a href="%s" class="link_back">블로그 홈 바로가기</a></div></div></body></html>"""


def page_without_data(origin: str) -> str:
    """A 200 Tistory page (skin, config, toolbar) that carries no post: no entryInfo, no body."""
    return (f'<!DOCTYPE html><html lang="ko"><head><script>if (!window.T) {{ window.T = {{}} }}\n'
            f'window.T.config = {{"ROLE":"guest","DEFAULT_URL":"{origin}"}};</script>'
            f'<meta name="twitter:site" content="@TISTORY"/><title>blog</title></head>'
            f'<body id="tt-body-page"><div id="wrap"><p>잠시 후 다시 시도해 주세요</p></div></body></html>')


@dataclass
class _Ctx:
    """Addresses for one request: where it came in, and the blog's public address."""

    origin: str          # scheme://host[:port] the request was sent to
    public: str          # custom domain origin when set, else `origin`


class FakeBlog:
    """A Tistory blog with `posts`, configurable per test; `app()` gives the aiohttp application.

    Knobs: `host` (its *.tistory.com name, used in tistoryUrl and *_view_url metas), `custom_domain`
    (public address for canonical/sitemap/RSS/absolute links), `skin` "A"|"B"|"C" (post wrappers and
    list markup of tistory.md §6.4; A lists `li.item_category a.link_category`, B `div.post-item a`
    with absolute URLs, C `div.list_content a.link_post` with `?category=`), `mobile_api` (False: 404),
    `mobile_api_style` "page" (nextPage/isLast) | "cursor" (startId/nextId) | "html" (200 non-JSON),
    `sitemap_cap` (newest N posts), `sitemap_extra_non_posts` (category/tag/guestbook URLs),
    `sitemap_index_size` (>0: /sitemap.xml is an index of /sitemap-N.xml parts), `sitemap_mobile_urls`
    (every third post URL as /m/…), `list_page_size`, `repeat_last_page` (out-of-range ?page= repeats
    the last page; False: an empty list), `cover_home` (/ shows a cover, the list is at /category),
    `rss_items`, `page_template`. `posts` can be changed between runs (`add`, `remove`, attributes).

    `requests` lists every path+query received, in order. `fail` maps a path (with or without its
    query, e.g. "/sitemap.xml" or "/?page=3") to statuses answered before the real response; 429 and
    503 carry `Retry-After: <retry_after>`; `RESET` (0) drops the connection without an answer.
    `pages` maps a path to a whole HTML page served instead (200), e.g. `page_without_data()`;
    `delay` maps a path to seconds waited before answering.
    `malformed_links` are put into every discovery source (sitemap `<loc>`, list pages, RSS `<link>`,
    mobile JSON items) next to the real links; `sitemap_prefix` is raw text put at the start of
    the sitemap's `<urlset>` (hostile or broken XML).
    """

    def __init__(
        self, posts: list[FakePost], *, host: str = "myblog.tistory.com", custom_domain: str | None = None,
        skin: str = "A", mobile_api: bool = True, mobile_api_style: str = "page", sitemap_cap: int = 1000,
        sitemap_extra_non_posts: bool = True, sitemap_index_size: int = 0, sitemap_mobile_urls: bool = False,
        list_page_size: int = 10, repeat_last_page: bool = True, rss_items: int = 50,
        page_template: str | None = None, cover_home: bool = False, blog_id: int = 5257724,
        blog_title: str = "가짜 블로그", author: str = "fake_author", retry_after: str = "1",
    ) -> None:
        if skin not in ("A", "B", "C"):
            raise ValueError(f"skin must be A, B or C, not {skin!r}")
        if mobile_api_style not in ("page", "cursor", "html"):
            raise ValueError("mobile_api_style must be 'page', 'cursor' or 'html'")
        self.posts: dict[int, FakePost] = {p.post_id: p for p in posts}
        self.host = host
        self.custom_domain = custom_domain
        self.skin = skin
        self.mobile_api = mobile_api
        self.mobile_api_style = mobile_api_style
        self.sitemap_cap = sitemap_cap
        self.sitemap_extra_non_posts = sitemap_extra_non_posts
        self.sitemap_index_size = sitemap_index_size
        self.sitemap_mobile_urls = sitemap_mobile_urls
        self.list_page_size = list_page_size
        self.repeat_last_page = repeat_last_page
        self.rss_items = rss_items
        self.page_template = string.Template(page_template or DEFAULT_PAGE_TEMPLATE)
        self.cover_home = cover_home
        self.blog_id = blog_id
        self.blog_title = blog_title
        self.author = author
        self.retry_after = retry_after
        self.requests: list[str] = []
        self.fail: dict[str, list[int]] = {}
        self.pages: dict[str, str] = {}
        self.delay: dict[str, float] = {}      # path → seconds to wait before answering (slow pages)
        self.malformed_links: tuple[str, ...] = ()
        self.sitemap_prefix = ""
        self.comment_api = CommentApi()       # comments per post: blog.comment_api.add(post_id, FakeComment(...))

    # ------------------------------------------------------------------ state helpers
    def add(self, post: FakePost) -> None:
        self.posts[post.post_id] = post

    def remove(self, post_id: int) -> None:
        self.posts.pop(post_id, None)

    def listed(self, *, notices: bool = False) -> list[FakePost]:
        """Public posts (protected included, private excluded), newest first (highest id first)."""
        return sorted(
            (p for p in self.posts.values()
             if not p.private and not p.hidden and p.notice == notices and p.page_slug is None),
            key=lambda p: p.post_id, reverse=True,
        )

    def static_pages(self) -> list[FakePost]:
        """The blog's public static pages, in id order (the menu's order)."""
        return sorted((p for p in self.posts.values() if p.page_slug and not p.private), key=lambda p: p.post_id)

    def path_of(self, post: FakePost, *, mobile: bool = False) -> str:
        """The post's own URL path as the blog links it (slug, notice or numeric form)."""
        prefix = "/m" if mobile else ""
        if post.page_slug:
            return f"{prefix}/pages/{quote(unicodedata.normalize('NFC', post.page_slug), safe='')}"
        if post.notice:
            return f"{prefix}/notice/{post.post_id}"
        if post.slug:
            return f"{prefix}/entry/{quote(unicodedata.normalize('NFC', post.slug), safe='')}"
        return f"{prefix}/{post.post_id}"

    def _by_slug(self, slug: str) -> FakePost | None:
        wanted = unicodedata.normalize("NFC", slug)
        for post in self.posts.values():
            if post.slug is not None and post.page_slug is None and unicodedata.normalize("NFC", post.slug) == wanted:
                return post
        return None

    # ------------------------------------------------------------------ app
    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        r = app.router
        r.add_get("/", self._home)
        r.add_get("/category", self._category)
        r.add_get("/sitemap.xml", self._sitemap)
        r.add_get(r"/sitemap-{n:\d+}.xml", self._sitemap_part)
        r.add_get("/rss", self._rss)
        r.add_get("/m/api/entry/0/{kind}", self._entry_api)
        r.add_get(r"/m/api/{post_id:\d+}/comment", self._comments)
        r.add_get(r"/{post_id:\d+}", self._post_by_id)
        r.add_get(r"/m/{post_id:\d+}", self._post_by_id)
        r.add_get(r"/notice/{post_id:\d+}", self._post_by_id)
        r.add_get(r"/m/notice/{post_id:\d+}", self._post_by_id)
        r.add_get("/entry/{slug}", self._post_by_slug)
        r.add_get("/m/entry/{slug}", self._post_by_slug)
        r.add_get("/pages/{slug}", self._page_by_slug)
        r.add_get("/m/pages/{slug}", self._page_by_slug)
        r.add_get("/{tail:.*}", self._not_found)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler):  # type: ignore[no-untyped-def]
        self.requests.append(request.path_qs)
        if request.path in self.delay:
            await asyncio.sleep(self.delay[request.path])
        for key in (request.path_qs, request.path):
            statuses = self.fail.get(key)
            if statuses:
                status = statuses.pop(0)
                if status == RESET:
                    assert request.transport is not None
                    request.transport.abort()
                    raise ConnectionResetError("fake connection reset")
                headers = {"Retry-After": self.retry_after} if status in (429, 503) else {}
                return web.Response(status=status, text="fake failure", headers=headers)
        if request.path in self.pages:
            return web.Response(text=self.pages[request.path], content_type="text/html")
        return await handler(request)

    def _ctx(self, request: web.Request) -> _Ctx:
        origin = f"{request.scheme}://{request.host}"
        return _Ctx(origin, f"https://{self.custom_domain}" if self.custom_domain else origin)

    async def _not_found(self, request: web.Request) -> web.Response:
        ctx = self._ctx(request)
        return web.Response(status=404, text=ERROR_PAGE % (ctx.public, ctx.public), content_type="text/html")

    # ------------------------------------------------------------------ post pages
    async def _post_by_id(self, request: web.Request) -> web.Response:
        post = self.posts.get(int(request.match_info["post_id"]))
        if post is None or post.private or post.page_slug:
            return await self._not_found(request)
        return self._post_response(request, post)

    async def _page_by_slug(self, request: web.Request) -> web.Response:
        wanted = unicodedata.normalize("NFC", request.match_info["slug"])
        page = next((p for p in self.static_pages() if unicodedata.normalize("NFC", p.page_slug or "") == wanted), None)
        if page is None:
            return await self._not_found(request)
        return self._post_response(request, page)

    async def _post_by_slug(self, request: web.Request) -> web.Response:
        post = self._by_slug(request.match_info["slug"])
        if post is None or post.private:
            return await self._not_found(request)
        return self._post_response(request, post)

    def _post_response(self, request: web.Request, post: FakePost) -> web.Response:
        return web.Response(text=self.render_post(post, f"{request.scheme}://{request.host}"), content_type="text/html")

    def render_post(self, post: FakePost, origin: str) -> str:
        """The full HTML of a post page as Tistory would serve it to a guest who asked `origin`."""
        ctx = _Ctx(origin, f"https://{self.custom_domain}" if self.custom_domain else origin)
        canonical = ctx.public + self.path_of(post)
        published = _dt(post.published)
        modified = post.modified or post.published
        description = "" if post.protected else _summary(post)
        og_image = _thumb(post.images[0]) if post.images and not post.protected else DEFAULT_OG_IMAGE
        json_ld = {
            "@context": "http://schema.org", "@type": "BlogPosting",
            "mainEntityOfPage": {"@id": canonical, "name": None}, "url": canonical, "headline": post.title,
            "description": html.escape(description), "author": {"@type": "Person", "name": self.author, "logo": None},
            "image": {"@type": "ImageObject", "url": og_image, "width": "800px", "height": "800px"},
            "datePublished": post.published, "dateModified": modified,
            "publisher": {"@type": "Organization", "name": "TISTORY",
                          "logo": {"@type": "ImageObject", "url": "https://t1.daumcdn.net/tistory_admin/static/images/openGraph/opengraph.png", "width": "800px", "height": "800px"}},
        }
        entry_info = {"entryId": post.post_id, "isAuthor": False, "categoryId": _category_id(post.category),
                      "categoryLabel": post.category or None}
        head = HEAD_TEMPLATE.substitute(
            blog_id=self.blog_id, blog_name_json=_json(self.host.split(".")[0]),
            blog_title_json=_json(self.blog_title), author_json=_json(self.author), page_url=canonical,
            public_origin=ctx.public, tistory_url=f"https://{self.host}", entry_info=_json(entry_info),
            description=_esc(description), canonical=_esc(canonical), author=_esc(self.author),
            blog_title=_esc(self.blog_title), title=_esc(post.title), og_image=_esc(og_image),
            plink=_esc(f"{ctx.public}/{post.post_id}"), mobile_url=_esc(ctx.public + self.path_of(post, mobile=True)),
            mobile_view_url=_esc(f"https://{self.host}{self.path_of(post, mobile=True)}"),
            pc_view_url=_esc(f"https://{self.host}{self.path_of(post)}"), post_id=post.post_id,
            published=post.published, modified=modified,
            reg_date=published.strftime("%Y%m%d%I%M%S"),   # 12-hour clock without AM/PM, like Tistory
            json_ld=_json(json_ld),
        )
        return self.page_template.substitute(
            head=head, title=_esc(post.title), body_id="tt-body-page",
            article=self._article(post, ctx, canonical), sidebar=self._sidebar(ctx),
        )

    def _body(self, post: FakePost) -> str:
        figures = []
        for n, url in enumerate(post.images, start=1):
            name = url.rsplit("/", 1)[-1].split("?", 1)[0] or f"image{n}.png"
            u = _esc(url)
            figures.append(
                f'<p><figure class="imageblock alignCenter" data-ke-mobileStyle="widthOrigin" data-filename="{_esc(name)}" '
                f'data-origin-width="200" data-origin-height="200"><span data-url="{u}" data-phocus="{u}">'
                f'<img src="{u}" srcset="{_esc(_thumb(url, "R1280x0"))}" '
                f"onerror=\"this.onerror=null; this.src='{NO_IMAGE}'; this.srcset='{NO_IMAGE}';\" "
                f'loading="lazy" width="200" height="200" data-filename="{_esc(name)}" data-origin-width="200" '
                f'data-origin-height="200"/></span></figure></p>'
            )
        return post.body_html + "\n" + "\n".join(figures)

    def _protected_block(self, post: FakePost) -> str:
        return (
            f'<div class="protected_article"><p class="txt_protected">{PROTECTED_SUMMARY} 내용을 보시려면 비밀번호를 입력하세요.</p>'
            f'<form method="post" action="/{post.post_id}"><input type="password" maxlength="16" '
            f'id="entry{post.post_id}password" name="entry{post.post_id}password" class="inp_password" '
            f'onkeydown="if (event.keyCode == 13) {{ return false; }}"/>'
            f'<input type="submit" value="확인" class="btn_protected"/></form></div>'
        )

    def _tags(self, post: FakePost) -> str:
        return ", ".join(f'<a href="/tag/{quote(t, safe="")}" rel="tag">{_esc(t)}</a>' for t in post.tags)

    def _article(self, post: FakePost, ctx: _Ctx, canonical: str) -> str:
        published = _dt(post.published)
        date_text = f"{published.year}. {published.month}. {published.day}. {published:%H:%M}"
        title = _esc(post.title)
        if post.protected:
            contents = self._protected_block(post)
        else:
            useless = "" if self.skin == "C" else "tt_article_useless_p_margin "
            contents = (
                f'<!-- System - START -->\n<!-- System - END -->\n'
                f'<div class="{useless}contents_style">{self._body(post)}</div>\n'
                + POST_BUTTONS.format(id=post.post_id, title=title, url=_esc(canonical))
            )
        comments = (f'<div data-tistory-react-app="Namecard"></div><div id="entry{post.post_id}Comment">'
                    f'<div data-tistory-react-app="Comment"></div></div>')
        related = "".join(
            f'<li class="item_related"><a href="{self.path_of(p)}?category={_category_id(p.category)}" '
            f'class="link_related"><strong>{_esc(p.title)}</strong></a></li>'
            for p in self.listed()[:4] if p.post_id != post.post_id
        )
        if self.skin == "A":
            return f"""<main id="main"><div class="area_article">
  <div class="article_header type_article_header_common"><div class="inner_header"><div class="info_text">
    <strong class="title_post">{title}</strong>
    <p class="info"><span class="date">{date_text}</span>ㆍ<span>{_esc(post.category)}</span></p>
  </div></div></div>
  <div class="article_view" id="article-view">
    {contents}
  </div>
  <div class="area_tag"><h3 class="title_tag">TAG</h3><div class="tag_content thema_apply">{self._tags(post)}</div></div>
  <div class="area_related"><h3 class="title_related">관련글</h3><ul class="list_related">{related}</ul></div>
  {comments}
</div></main>"""
        if self.skin == "B":
            return f"""<div id="head">
    <h2><a href="{self.path_of(post)}">{title}</a></h2>
    <div class="post-meta"><span class="author">{_esc(self.author)}</span><span class="meta-date">{date_text}</span></div>
  </div>
  <div id="body" class="entry">
    <div class="tag_label">{self._tags(post)}</div>
    <div class="article" id="article-view">{contents}</div>
    {comments}
  </div>"""
        category_link = (f'<a href="/category/{"/".join(quote(s) for s in post.category.split("/"))}" '
                         f'class="link_category link_slink"><span class="category">{_esc(post.category)}</span></a>'
                         if post.category else "")
        return f"""<li class="category_content_area"><div class="area_view_content"><div class="article_content">
  <div class="info_post">
    <div class="artcle_category_info thema_apply">{category_link}</div>
    <a href="{self.path_of(post)}" class="link_title"><div class="title_view">{title}</div></a>
    <div class="view_info_post"><span class="date">{published.year}. {published.month}. {published.day}.</span></div>
  </div>
  <div class="article_view">
    <div data-tistory-react-app="NaverAd"></div>
    <div class="revenue_unit_wrap"><div class="revenue_unit_item adsense responsive"><ins class="adsbygoogle" style="display: block;"></ins></div></div>
    {contents}
  </div>
  <div class="area_tag"><div class="tag_content">{self._tags(post)}</div></div>
  <div class="area_related"><ul>{related}</ul></div>
  {comments}
</div></div></li>"""

    def _sidebar(self, ctx: _Ctx) -> str:
        """Widgets on every page: recent posts, recent comments, categories, tag cloud, links."""
        recent = self.listed()[:5]
        items = "".join(f'<li class="item_sidebar"><a href="{self.path_of(p)}"> {_esc(p.title)}</a></li>' for p in recent)
        comments = "".join(
            f'<li class="item_sidebar"><a href="{self.path_of(p)}#comment{22430000 + p.post_id}">들렸다 갑니다~</a></li>'
            for p in recent[-2:]
        )
        categories = sorted({p.category for p in self.posts.values() if p.category})
        cats = "".join(f'<li><a href="/category/{"/".join(quote(s) for s in c.split("/"))}" class="link_item">{_esc(c)}</a></li>'
                       for c in categories)
        tags = sorted({t for p in self.posts.values() for t in p.tags})
        cloud = "".join(f'<a href="/tag/{quote(t, safe="")}" class="cloud{1 + i % 5}">{_esc(t)}</a> ' for i, t in enumerate(tags))
        return f"""<aside class="area_sidebar">
  <div class="box_sidebar"><h2>최근글</h2><ul class="list_sidebar">{items}</ul></div>
  <div class="box_sidebar"><h2>최근댓글</h2><ul class="list_sidebar">{comments}</ul></div>
  <div class="box_sidebar"><ul class="tt_category"><li><a href="/category" class="link_tit">분류 전체보기</a><ul>{cats}</ul></li></ul></div>
  <div class="box_sidebar"><h2>태그</h2><div class="box_tag">{cloud}</div></div>
  <div class="box_sidebar"><a href="/guestbook">방명록</a> <a href="/rss">RSS</a> <a href="/archive/202403">2024/03</a>
    <a href="/m">모바일</a> <a href="/manage">관리</a> <a href="mailto:owner@example.com">메일</a>
    <a href="javascript:void(0)">검색</a> <a href="#top">맨 위로</a> <a href="https://other.tistory.com/12">이웃 블로그</a>
    <a href="{ctx.public}/attachment/cfile1.uf@99.png">첨부</a> <a href="http://cfile9.uf.tistory.com/image/12">옛 이미지</a></div>
</aside>"""

    # ------------------------------------------------------------------ list pages
    async def _home(self, request: web.Request) -> web.Response:
        if self.cover_home:
            return self._list_response(request, "/", None, cover=True)
        return self._list_response(request, "/", self._page_number(request))

    async def _category(self, request: web.Request) -> web.Response:
        return self._list_response(request, "/category", self._page_number(request))

    @staticmethod
    def _page_number(request: web.Request) -> int:
        try:
            return max(1, int(request.query.get("page", "1")))
        except ValueError:
            return 1

    def _list_response(self, request: web.Request, path: str, number: int | None, *, cover: bool = False) -> web.Response:
        ctx = self._ctx(request)
        posts = self.listed()
        pages = max(1, math.ceil(len(posts) / self.list_page_size))
        if cover:
            body = '<div class="cover-slider">' + "".join(
                f'<div class="cover-item"><a href="{self.path_of(p)}" class="link_cover">{_esc(p.title)}</a></div>'
                for p in posts[:3]
            ) + "</div>"
        else:
            assert number is not None
            posts_here: list[FakePost] = []
            if number <= pages or self.repeat_last_page:
                # Tistory answers an out-of-range ?page= with the last page again (the trap).
                number = min(number, pages)
                start = (number - 1) * self.list_page_size
                posts_here = posts[start:start + self.list_page_size]
            bad = "".join(f'<a href="{_esc(u)}" class="link_category">?</a>' for u in self.malformed_links)
            body = bad + self._list_items(posts_here, ctx) + self._paging(path, number, pages)
        head = (f'<script type="text/javascript">if (!window.T) {{ window.T = {{}} }}\n'
                f'window.T.config = {{"ROLE":"guest","BLOG":{{"id":{self.blog_id},"name":{_json(self.host.split(".")[0])}}},'
                f'"DEFAULT_URL":"{ctx.public}"}};\n'
                f'window.TistoryBlog = {{\n    basePath: "",\n    url: "{ctx.public}",\n    tistoryUrl: "https://{self.host}",\n'
                f'    manageUrl: "https://{self.host}/manage",\n    token: "REDACTED"\n}};</script>\n'
                f'<meta charset="utf-8" /><title>{_esc(self.blog_title)}</title>\n'
                f'<link rel="alternate" type="application/rss+xml" href="{ctx.public}/rss" />')
        page = (f'<!DOCTYPE html>\n<html lang="ko">\n<head>\n{head}\n</head>\n'
                f'<body id="{"tt-body-index" if path == "/" else "tt-body-category"}">\n<div id="wrap">\n'
                f'<header><h1><a href="/">{_esc(self.blog_title)}</a></h1>{self._menu()}</header>\n'
                f'<main id="main">{body}</main>\n{self._sidebar(ctx)}\n</div>\n</body>\n</html>\n')
        return web.Response(text=page, content_type="text/html")

    def _menu(self) -> str:
        """The blog menu ([##_blog_menu_##]): home, guestbook, and a link per static page."""
        pages = "".join(f'<li><a href="{self.path_of(p)}">{_esc(p.title)}</a></li>' for p in self.static_pages())
        return f'<nav><ul class="tt_menubar"><li><a href="/">홈</a></li>{pages}<li><a href="/guestbook">방명록</a></li></ul></nav>'

    def _list_items(self, posts: list[FakePost], ctx: _Ctx) -> str:
        def date(p: FakePost) -> str:
            return f"{_dt(p.published):%Y.%m.%d}"

        if self.skin == "A":
            items = "".join(
                f'<li class="item_category"><a href="{self.path_of(p)}" class="link_category">'
                f'<span class="thumnail item-thumbnail"></span><div class="info"><strong class="name">{_esc(p.title)}</strong>'
                f'<p class="text summary">{_esc(_summary(p))}</p><span class="date">{date(p)}</span></div></a></li>'
                for p in posts
            )
            return (f'<div class="area_category category_type_notice category_search_list"><h2 class="title_section">'
                    f'전체 글<span>({len(self.listed())})</span></h2><ul class="list_category">{items}</ul></div>')
        if self.skin == "B":
            # Absolute links on the public address, as some skins print [##_list_rep_link_##] with the host.
            return "".join(
                f'<div class="post-item"><a href="{ctx.public}{self.path_of(p)}"><span class="thum"></span>'
                f'<span class="title">{_esc(p.title)}</span><span class="excerpt">{_esc(_summary(p))}</span>'
                f'<span class="meta"><span class="date">{date(p)}</span></span></a></div>'
                for p in posts
            )
        return '<div class="list_content_wrap">' + "".join(
            f'<div class="list_content"><a href="{self.path_of(p)}?category={_category_id(p.category)}" class="thumbnail_post">'
            f'<img src="https://img1.daumcdn.net/thumb/C230x160/?fname=x" alt=""></a>'
            f'<a href="{self.path_of(p)}?category={_category_id(p.category)}" class="link_post"><strong class="tit_post">'
            f'{_esc(p.title)}</strong><p class="txt_post">{_esc(_summary(p))}</p></a><div class="detail_info">'
            f'<span class="num_date">{date(p)}</span></div></div>'
            for p in posts
        ) + "</div>"

    @staticmethod
    def _paging(path: str, number: int, pages: int) -> str:
        nums = "".join(
            f'<a href="{path}?page={n}" class="link_num"><span class="{"selected" if n == number else ""}">{n}</span></a>'
            for n in range(max(1, number - 2), min(pages, number + 2) + 1)
        )
        prev_link = (f'<a href="{path}?page={number - 1}" class="link_page link_prev">이전</a>' if number > 1
                     else '<a class="link_page link_prev no-more-prev">이전</a>')
        next_link = (f'<a href="{path}?page={number + 1}" class="link_page link_next">다음</a>' if number < pages
                     else '<a class="link_page link_next no-more-next">다음</a>')
        return (f'<div class="area_paging">{prev_link}<div class="paging_num thema_apply">{nums}'
                f'<a class="link_num"><span>···</span></a><a href="{path}?page={pages}" class="link_num">'
                f'<span>{pages}</span></a></div>{next_link}</div>')

    async def _comments(self, request: web.Request) -> web.Response:
        post = self.posts.get(int(request.match_info["post_id"]))
        return await self.comment_api.handle(request, post is not None and not post.private)

    # ------------------------------------------------------------------ mobile JSON
    async def _entry_api(self, request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        if not self.mobile_api or kind not in ("POST", "NOTICE"):
            return await self._not_found(request)
        if self.mobile_api_style == "html":
            # Some blogs answer unknown paths with a 200 skin page instead of JSON.
            return web.Response(text="<!DOCTYPE html><html><body>not here</body></html>", content_type="text/html")
        ctx = self._ctx(request)
        posts = self.listed(notices=kind == "NOTICE")
        try:
            size = max(1, min(100, int(request.query.get("size", "20"))))
        except ValueError:
            size = 20
        data: dict[str, object]
        if self.mobile_api_style == "cursor":
            start = request.query.get("startId")
            if start and start.isdigit():
                posts = [p for p in posts if p.post_id < int(start)]
            chunk = posts[:size]
            is_last = len(posts) <= size
            data = {"items": [], "nextId": None if is_last or not chunk else chunk[-1].post_id, "isLast": is_last}
        else:
            try:
                page = max(0, int(request.query.get("page", "0")))
            except ValueError:
                page = 0
            chunk = posts[page * size:(page + 1) * size]
            is_last = (page + 1) * size >= len(posts)
            data = {"items": [], "nextPage": None if is_last else page + 1, "isLast": is_last,
                    "totalCount": len(posts)}
        data["items"] = [
            {"id": p.post_id, "title": p.title, "url": ctx.public, "subPath": self.path_of(p), "path": self.path_of(p),
             "published": f"{_dt(p.published).year}. {_dt(p.published).month}. {_dt(p.published).day}.",
             "thumbnail": _thumb(p.images[0], "C230x160") if p.images and not p.protected else "",
             "summary": _summary(p), "commentCount": 0, "categoryLabel": p.category or None}
            for p in chunk
        ]
        if chunk:
            data["items"] += [{"id": None, "title": "?", "path": u, "url": u} for u in self.malformed_links]
        return web.json_response({"code": 200, "data": data})

    # ------------------------------------------------------------------ sitemap and RSS
    def _sitemap_urls(self, ctx: _Ctx) -> list[tuple[str, str]]:
        urls: list[tuple[str, str]] = []
        if self.sitemap_extra_non_posts:
            urls += [(f"{ctx.public}/category", ""), (f"{ctx.public}/guestbook", ""), (f"{ctx.public}/tag", "")]
            urls += [(f"{ctx.public}/category/{quote(c)}", "") for c in sorted({p.category for p in self.posts.values() if p.category})]
            urls += [(f"{ctx.public}/tag/{quote(t, safe='')}", "") for t in sorted({t for p in self.posts.values() for t in p.tags})][:20]
        posts = sorted((p for p in self.posts.values() if not p.private and not p.hidden),
                       key=lambda p: p.post_id, reverse=True)
        for n, post in enumerate(posts[: self.sitemap_cap]):
            mobile = self.sitemap_mobile_urls and n % 3 == 0
            urls.append((ctx.public + self.path_of(post, mobile=mobile), post.modified or post.published))
        return urls

    def _urlset(self, urls: list[tuple[str, str]]) -> str:
        urls = [(u, "") for u in self.malformed_links] + urls
        entries = "".join(
            f"<url><loc>{html.escape(u)}</loc>" + (f"<lastmod>{m}</lastmod>" if m else "") + "</url>\n" for u, m in urls
        )
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                f"{self.sitemap_prefix}{entries}</urlset>\n")

    async def _sitemap(self, request: web.Request) -> web.Response:
        ctx = self._ctx(request)
        urls = self._sitemap_urls(ctx)
        if self.sitemap_index_size <= 0:
            return web.Response(text=self._urlset(urls), content_type="application/xml")
        parts = max(1, math.ceil(len(urls) / self.sitemap_index_size))
        entries = "".join(f"<sitemap><loc>{ctx.public}/sitemap-{n}.xml</loc></sitemap>\n" for n in range(1, parts + 1))
        return web.Response(
            text=('<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                  f"{entries}</sitemapindex>\n"), content_type="application/xml",
        )

    async def _sitemap_part(self, request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        urls = self._sitemap_urls(self._ctx(request))
        size = self.sitemap_index_size
        if size <= 0 or n < 1 or (n - 1) * size >= len(urls):
            return await self._not_found(request)
        return web.Response(text=self._urlset(urls[(n - 1) * size:n * size]), content_type="application/xml")

    async def _rss(self, request: web.Request) -> web.Response:
        ctx = self._ctx(request)
        posts = [p for p in self.listed() if not p.protected][: self.rss_items]
        items = "".join(
            f"<item>\n<title>{html.escape(p.title)}</title>\n<link>{ctx.public}{self.path_of(p)}</link>\n"
            f"<description>{html.escape(self._body(p))}</description>\n"
            + (f"<category>{html.escape(p.category)}</category>\n" if p.category else "")
            + f"<author>{html.escape(self.author)}</author>\n<guid isPermaLink=\"true\">{ctx.public}{self.path_of(p)}</guid>\n"
            f"<comments>{ctx.public}{self.path_of(p)}#entry{p.post_id}comment</comments>\n"
            f"<pubDate>{format_datetime(_dt(p.published))}</pubDate>\n</item>\n"
            for p in posts
        )
        items = "".join(f"<item>\n<title>?</title>\n<link>{html.escape(u)}</link>\n</item>\n"
                        for u in self.malformed_links) + items
        feed = ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n<channel>\n'
                f"<title>{html.escape(self.blog_title)}</title>\n<link>{ctx.public}/</link>\n"
                "<description>fake</description>\n<language>ko</language>\n<pubDate>Tue, 5 Mar 2024 10:20:30 +0900</pubDate>\n"
                f"<generator>TISTORY</generator>\n<ttl>100</ttl>\n<managingEditor>{html.escape(self.author)}</managingEditor>\n"
                f"{items}</channel>\n</rss>\n")
        return web.Response(text=feed, content_type="application/rss+xml")
