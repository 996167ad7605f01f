"""The slug a draft gets: it decides its future permalink, the links that point at it and the redirects."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest

from migrator.core.pipeline import wp_slug_for
from migrator.models import SourcePost


def post(title: str, slug: str | None = None, post_id: int = 7) -> SourcePost:
    return SourcePost(
        post_id=post_id,
        canonical_url=f"https://blog.tistory.com/{post_id}",
        title=title,
        published=datetime(2024, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=9))),
        modified=None,
        category_path=(),
        tags=(),
        author=None,
        excerpt="",
        slug=slug,
        body_html="<p>x</p>",
        featured_image_url=None,
    )


@pytest.mark.parametrize(
    ("title", "slug", "expected"),
    [
        ("Hello, World!", None, "hello-world"),
        ("  Spaces   and\ttabs  ", None, "spaces-and-tabs"),
        ("snake_case and-dash", None, "snake-case-and-dash"),
        ("부산 바다 여행기", None, "부산-바다-여행기"),
        ("C++ & Rust: 1st <try>", None, "c-rust-1st-try"),
        ("Ignored title", "Tistory-Entry-Slug", "tistory-entry-slug"),  # the /entry/ slug wins
        ("Ignored title", "제주도-맛집", "제주도-맛집"),
    ],
)
def test_slug_rule(title: str, slug: str | None, expected: str) -> None:
    assert wp_slug_for(post(title, slug)) == expected


def test_decomposed_hangul_is_composed_first() -> None:
    # macOS and some editors store Hangul decomposed (NFD); WordPress compares composed text.
    nfd = "\u1112\u1161\u11ab\u1100\u1173\u11af"  # 한글, decomposed
    assert wp_slug_for(post(nfd)) == "한글"


def test_nothing_usable_falls_back_to_the_post_id() -> None:
    assert wp_slug_for(post("!!! ??? ...", post_id=42)) == "post-42"
    assert wp_slug_for(post("", post_id=43)) == "post-43"


def test_long_titles_are_cut_at_a_word_within_wordpress_limit() -> None:
    title = " ".join(["아주긴제목"] * 30)
    slug = wp_slug_for(post(title))
    assert len(quote(slug).encode()) <= 200  # WordPress keeps at most 200 bytes of encoded slug
    assert slug and not slug.endswith("-") and set(slug.split("-")) == {"아주긴제목"}


def test_one_long_word_is_cut_too() -> None:
    slug = wp_slug_for(post("가" * 500))
    assert 0 < len(quote(slug).encode()) <= 200
