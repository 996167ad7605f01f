"""The fake Tistory blog an end-to-end test migrates, and what WordPress must hold afterwards.

`build_blog(servers, token)` serves a FakeBlog and a FakeCDN from the background loop with 32
public posts (by default) and one protected post: Korean titles, dates spread over hours and years
(some cross midnight in UTC), categories with a parent (여행/부산, 개발/파이썬, …) and without,
Korean tags (one with a space), code blocks, 1 to 3 images per post. Half the posts embed their
images with Tistory's new-editor `figure.imageblock` markup carrying a Korean `data-filename`
("바다 사진 4.png"), the other half through FakePost.images (generic `img.png` names, og:image
set). One image URL is shared by two posts and two other URLs serve identical bytes, so WordPress
must end up with one media item for each. `failing_post=True` adds a post whose second image is an
AVIF file its CDN answers 409 for (so the post fails and is rolled back), after a first image of its
own and one it shares with a good post.

`token` makes everything unique in a WordPress shared by the whole session: the blog's
*.tistory.com host (which the migration's markers are derived from), every title, every CDN path.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote

from tests.e2e.servers import BackgroundLoop
from tests.fakes.blog import FakeBlog, FakePost
from tests.fakes.cdn import FakeCDN, make_png

__all__ = [
    "AVIF_BYTES",
    "SLOW_NAME",
    "BlogUnderTest",
    "ExpectedPost",
    "build_blog",
    "build_shared_image_blog",
]

KST = timezone(timedelta(hours=9))
# A minimal AVIF header: enough for type sniffing; WordPress 6.1 refuses the type outright.
AVIF_BYTES = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 40

# (title stem, category path "Parent/Child", tags)
TOPICS: list[tuple[str, str, tuple[str, ...]]] = [
    ("부산 바다 여행", "여행/부산", ("바다", "여름")),
    ("서울 골목 산책", "여행/서울", ("산책",)),
    ("파이썬 비동기 메모", "개발/파이썬", ("파이썬", "코드")),
    ("작은 서버 만들기", "개발", ("코드",)),
    ("오늘의 일기", "일상", ("사진 일기",)),
    ("분류 없는 글", "", ()),
]

NO_IMAGE = "//t1.daumcdn.net/tistory_admin/static/images/no-image-v1.png"
CODE_BLOCK = (
    '<pre id="code_1751955791886" class="python" data-ke-language="python" data-ke-type="codeblock">'
    "<code>def smaller(a, b):\n    return a &lt; b  # 비교 &amp; 반환\n</code></pre>"
)


@dataclass
class ExpectedPost:
    """What WordPress must hold for one public post."""

    post_id: int
    title: str
    date: str  # site-local (Asia/Seoul), as WordPress's `date`
    date_gmt: str
    category: tuple[str, ...]  # () = the site's default category
    tags: set[str]
    images: list[bytes]  # the bytes of every image in the body, in order
    named: list[str] = field(default_factory=list)  # Korean upload-name stems ("바다-사진-4")
    code: bool = False
    links: list[int] = field(default_factory=list)  # post ids of the blog this post links to


@dataclass
class BlogUnderTest:
    token: str
    blog: FakeBlog
    cdn: FakeCDN
    blog_url: str
    cdn_url: str
    public: list[ExpectedPost]
    protected_titles: list[str]
    failing: list[ExpectedPost]
    shared_image: bytes  # the image used by two posts (by the same URL)
    twin_image: bytes | None  # the bytes served under two different URLs

    def titles(self) -> set[str]:
        return {p.title for p in self.public}

    def all_image_bytes(self) -> set[bytes]:
        return {img for p in self.public for img in p.images}


def _thumb(url: str) -> str:
    return f"https://img1.daumcdn.net/thumb/R1280x0/?scode=mtistory2&fname={quote(url, safe='')}"


def figure(url: str, filename: str, caption: str = "") -> str:
    """New-editor image block markup (tistory.md §9.1) with the editor's original file name."""
    u, name = html.escape(url, quote=True), html.escape(filename, quote=True)
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (
        f'<p><figure class="imageblock alignCenter" data-ke-mobileStyle="widthOrigin" data-filename="{name}" '
        f'data-origin-width="4" data-origin-height="4"><span data-url="{u}" data-phocus="{u}">'
        f'<img src="{u}" srcset="{html.escape(_thumb(url), quote=True)}" '
        f"onerror=\"this.onerror=null; this.src='{NO_IMAGE}';\" "
        f'loading="lazy" width="4" height="4" data-filename="{name}" '
        f'data-origin-width="4" data-origin-height="4"/>'
        f"</span>{cap}</figure></p>"
    )


def upload_stem(filename: str) -> str:
    """The file name stem WordPress stores for an upload named `filename` (spaces become '-')."""
    stem = filename.rsplit(".", 1)[0]
    return re.sub(r"\s+", "-", stem.strip())


class _Images:
    """Puts image bytes on the CDN under unique, signed-looking dna URLs."""

    def __init__(self, cdn: FakeCDN, cdn_url: str, token: str) -> None:
        self.cdn, self.cdn_url, self.token = cdn, cdn_url, token
        self.n = 0

    def add(self, data: bytes, content_type: str = "image/png") -> str:
        self.n += 1
        path = f"/dna/{self.token}/k{self.n}/img.png"
        self.cdn.add(path, data, content_type)
        return (
            f"{self.cdn_url}{path}?credential=c{self.n}&expires=9999999999&allow_ip=&allow_referer="
            f"&signature=s{self.n}"
        )

    def keep_failing(self, url: str, delay_s: float = 0.0) -> None:
        """The CDN answers 409 for this file, every time: an answer that is no evidence the file is
        gone, so its post fails (and is tried again by the next run), unlike a dead (404) file,
        which only goes missing (issue 8)."""
        path = url.split("?", 1)[0][len(self.cdn_url):]
        self.cdn.fail[path] = [409] * 100_000
        if delay_s:
            self.cdn.slow[path] = delay_s


def _published(i: int) -> datetime:
    # Hours cycle through the day, so about a third of the posts fall on the previous day in UTC.
    return datetime(
        2019 + i % 6, 1 + i % 12, 1 + (i * 3) % 28, (i * 5) % 24, (i * 7) % 60, (i * 11) % 60, tzinfo=KST
    )


def _seed(token: str, n: int) -> int:
    # Image bytes differ between tests too (the media library is shared by the session).
    return (sum(ord(c) * (k + 1) for k, c in enumerate(token)) * 1000 + n) % 2_000_000_000


def build_blog(
    servers: BackgroundLoop, token: str, *, posts: int = 32, failing_post: bool = False
) -> BlogUnderTest:
    if not re.fullmatch(r"[a-z0-9-]{3,40}", token):
        raise ValueError(f"token must be host-safe: {token!r}")
    cdn = FakeCDN()
    cdn_url = servers.serve(cdn.app()).url
    images = _Images(cdn, cdn_url, token)
    seeds = iter(range(1, 10_000))

    def png() -> bytes:
        return make_png(_seed(token, next(seeds)))

    shared = png()
    shared_url = images.add(shared)
    twin = png()
    twin_urls = (images.add(twin), images.add(twin))

    fake_posts: list[FakePost] = []
    public: list[ExpectedPost] = []
    for i in range(1, posts + 1):
        stem, category, tags = TOPICS[i % len(TOPICS)]
        title = f"{stem} {i}화 · {token}"
        if i == 5:
            title = f'코드 & "따옴표" 이야기 {i}화 · {token}'
        when = _published(i)
        code = i % 3 == 0
        body = f'<p data-ke-size="size16">{html.escape(stem)}에 대한 {i}번째 글입니다. 안녕하세요!</p>'
        if code:
            body += CODE_BLOCK
        links: list[int] = []
        if i % 5 == 1 and i < posts:  # internal links, in the forms authors write them
            links.append(i + 1)
            body += f'<p data-ke-size="size16"><a href="/{i + 1}">다음 이야기</a></p>'
        if i % 5 == 3:
            links.append(i - 1)
            old = f"https://{token}.tistory.com/{i - 1}"
            body += f'<p data-ke-size="size16">앞의 글: <a href="{old}#comments">{old}</a></p>'
        pictures: list[bytes] = []
        urls: list[str] = []
        named: list[str] = []
        extra = (i % 4 == 0) + (i % 7 == 0)  # 1 to 3 images per post
        for _ in range(1 + extra):
            data = png()
            pictures.append(data)
            urls.append(images.add(data))
        if i == 1 or i == 2:  # the image shared by two posts (same URL)
            pictures.append(shared)
            urls.append(shared_url)
        if i in (3, 4):  # identical bytes under two URLs
            pictures.append(twin)
            urls.append(twin_urls[i - 3])
        images_tuple: tuple[str, ...] = ()
        if i % 2 == 0:
            names = [f"바다 사진 {i}.png"] + [f"풍경 {i}-{n}번.png" for n in range(1, len(urls))]
            if i == 2:
                names[-1] = "함께 쓰는 사진.png"  # who uploads it first decides its name
            if i == 4:
                names[-1] = "쌍둥이 사진.png"
            body += "\n" + "\n".join(
                figure(u, name, caption=f"{i}번 사진") for u, name in zip(urls, names, strict=True)
            )
            named = [
                upload_stem(name)
                for name, data in zip(names, pictures, strict=True)
                if data not in (shared, twin)
            ]
        else:
            images_tuple = tuple(urls)  # rendered by FakeBlog with generic img.png names
        fake_posts.append(
            FakePost(
                post_id=i,
                title=title,
                category=category,
                tags=tags,
                published=when.isoformat(),
                body_html=body,
                images=images_tuple,
            )
        )
        public.append(
            ExpectedPost(
                post_id=i,
                title=title,
                date=when.replace(tzinfo=None).isoformat(),
                date_gmt=when.astimezone(UTC).replace(tzinfo=None).isoformat(),
                category=tuple(category.split("/")) if category else (),
                tags=set(tags),
                images=pictures,
                named=named,
                code=code,
                links=links,
            )
        )

    protected_title = f"비밀번호 걸린 글 · {token}"
    fake_posts.append(
        FakePost(
            post_id=posts + 1,
            title=protected_title,
            protected=True,
            category="일상",
            images=(images.add(png()),),
        )
    )

    failing: list[ExpectedPost] = []
    if failing_post:
        i = posts + 2
        own = png()
        urls = [images.add(own), shared_url, images.add(AVIF_BYTES, "image/avif")]
        # A file its CDN answers 409 for (not evidence that it is gone): the post fails, 2 s after
        # its first pictures, so that the posts sharing one are done before its rollback decides.
        images.keep_failing(urls[-1], delay_s=2.0)
        title = f"거부되는 그림이 있는 글 {i}화 · {token}"
        when = _published(i)
        body = "<p>AVIF 그림은 WordPress 6.1이 받지 않습니다.</p>\n" + "\n".join(
            figure(u, name)
            for u, name in zip(
                urls, ("거부 전 사진.png", "함께 쓰는 사진.png", "거부될 사진.avif"), strict=True
            )
        )
        fake_posts.append(
            FakePost(
                post_id=i,
                title=title,
                category="여행/부산",
                tags=("바다",),
                published=when.isoformat(),
                body_html=body,
            )
        )
        failing.append(
            ExpectedPost(
                post_id=i,
                title=title,
                date="",
                date_gmt="",
                category=("여행", "부산"),
                tags={"바다"},
                images=[own, shared, AVIF_BYTES],
            )
        )

    blog = FakeBlog(fake_posts, host=f"{token}.tistory.com", blog_title=f"가짜 블로그 {token}")
    blog_url = servers.serve(blog.app()).url
    return BlogUnderTest(
        token=token,
        blog=blog,
        cdn=cdn,
        blog_url=blog_url,
        cdn_url=cdn_url,
        public=public,
        protected_titles=[protected_title],
        failing=failing,
        shared_image=shared,
        twin_image=twin,
    )


SLOW_NAME = "늦게 올라갈 사진"


def build_shared_image_blog(servers: BackgroundLoop, token: str) -> BlogUnderTest:
    """Two posts sharing one image: a good one (id 1: its own picture named SLOW_NAME, then the
    shared one) and, newer so started first, one that fails (id 2: the shared picture, then an
    AVIF file WordPress refuses). For forcing the order of a rollback against a reuse."""
    cdn = FakeCDN()
    cdn_url = servers.serve(cdn.app()).url
    images = _Images(cdn, cdn_url, token)
    own, shared = make_png(_seed(token, 1)), make_png(_seed(token, 2))
    own_url, shared_url = images.add(own), images.add(shared)
    avif_url = images.add(AVIF_BYTES, "image/avif")
    images.keep_failing(avif_url)  # the CDN answers 409 (not evidence that it is gone): the post fails
    when = _published(1)
    good = FakePost(
        post_id=1,
        title=f"먼저 올린 글 · {token}",
        category="여행/부산",
        tags=("바다",),
        published=when.isoformat(),
        body_html=figure(own_url, f"{SLOW_NAME}.png") + "\n" + figure(shared_url, "함께 쓰는 사진.png"),
    )
    bad = FakePost(
        post_id=2,
        title=f"거부되는 그림이 있는 글 · {token}",
        category="여행/부산",
        tags=("바다",),
        published=_published(2).isoformat(),
        body_html=figure(shared_url, "함께 쓰는 사진.png") + "\n" + figure(avif_url, "거부될 사진.avif"),
    )
    blog = FakeBlog([good, bad], host=f"{token}.tistory.com", blog_title=f"가짜 블로그 {token}")
    blog_url = servers.serve(blog.app()).url
    expected = ExpectedPost(
        post_id=1,
        title=good.title,
        date=when.replace(tzinfo=None).isoformat(),
        date_gmt=when.astimezone(UTC).replace(tzinfo=None).isoformat(),
        category=("여행", "부산"),
        tags={"바다"},
        images=[own, shared],
        named=[upload_stem(f"{SLOW_NAME}.png")],
    )
    failing = ExpectedPost(
        post_id=2,
        title=bad.title,
        date="",
        date_gmt="",
        category=("여행", "부산"),
        tags={"바다"},
        images=[shared, AVIF_BYTES],
    )
    return BlogUnderTest(
        token=token,
        blog=blog,
        cdn=cdn,
        blog_url=blog_url,
        cdn_url=cdn_url,
        public=[expected],
        protected_titles=[],
        failing=[failing],
        shared_image=shared,
        twin_image=None,
    )
