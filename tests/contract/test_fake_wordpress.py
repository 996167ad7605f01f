"""FakeWordPress's own knobs: failure rules, request log, latency, clock, role, upload serving.

These have no real-WordPress counterpart (the shared behaviours are in
test_wordpress_contract.py, which runs against both).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from tests.fakes.wordpress import FailRule, FakeWordPress

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x05\x00\x00\x00\x07\x08\x02\x00\x00\x00"
    b"\x00\x00\x00\x00\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def fake() -> FakeWordPress:
    return FakeWordPress(timezone="Asia/Seoul")


@pytest.fixture
async def client(fake: FakeWordPress) -> AsyncIterator[tuple[aiohttp.ClientSession, str]]:
    server = TestServer(fake.app())
    await server.start_server()
    headers = {"Authorization": aiohttp.encode_basic_auth(fake.user, fake.app_password)}
    async with aiohttp.ClientSession(headers=headers) as session:
        yield session, str(server.make_url("")).rstrip("/")
    await server.close()


async def test_rule_fails_n_times_with_retry_after_then_passes(fake, client) -> None:
    session, base = client
    fake.rules.append(
        FailRule("POST", r"/wp/v2/posts$", status=429, times=2, retry_after="3", code="too_many")
    )
    statuses = []
    for _ in range(3):
        async with session.post(f"{base}/wp-json/wp/v2/posts", json={"title": "t"}) as resp:
            body = await resp.json()
            statuses.append((resp.status, resp.headers.get("Retry-After"), body.get("code")))
    assert statuses == [(429, "3", "too_many"), (429, "3", "too_many"), (201, None, None)]
    assert len(fake.posts) == 1
    assert fake.rules[0].fired == 2 and fake.rules[0].seen == 3


async def test_rule_after_lets_requests_through_first(fake, client) -> None:
    session, base = client
    fake.rules.append(FailRule("*", r"/wp/v2/users/me", status=503, after=2))
    got = []
    for _ in range(4):
        async with session.get(f"{base}/wp-json/wp/v2/users/me") as resp:
            got.append(resp.status)
    assert got == [200, 200, 503, 200]


async def test_rule_method_must_match(fake, client) -> None:
    session, base = client
    fake.rules.append(FailRule("POST", r"/wp/v2/posts", status=500))
    async with session.get(f"{base}/wp-json/wp/v2/posts") as resp:
        assert resp.status == 200
    assert fake.rules[0].fired == 0


async def test_effect_then_fail_simulates_a_lost_201(fake, client) -> None:
    session, base = client
    fake.rules.append(FailRule("POST", r"/wp/v2/media$", status=500, effect_then_fail=True))
    headers = {"Content-Type": "image/png", "Content-Disposition": 'attachment; filename="a.png"'}
    async with session.post(f"{base}/wp-json/wp/v2/media", data=PNG, headers=headers) as resp:
        assert resp.status == 500
        assert (await resp.json())["code"] == "fake_failure"
    assert len(fake.media) == 1  # the upload happened although the client saw a 500
    assert list(fake.files) == [next(iter(fake.media.values()))["file"]]


async def test_status_zero_drops_the_connection(fake, client) -> None:
    session, base = client
    fake.rules.append(FailRule("POST", r"/wp/v2/posts", status=0))
    with pytest.raises(aiohttp.ClientConnectionError):
        async with session.post(f"{base}/wp-json/wp/v2/posts", json={"title": "t"}) as resp:
            await resp.read()
    assert fake.posts == {}
    async with session.post(f"{base}/wp-json/wp/v2/posts", json={"title": "t"}) as resp:
        assert resp.status == 201


async def test_dropped_get_is_retried_once_by_aiohttp_itself(fake, client) -> None:
    # aiohttp's client silently re-sends an idempotent request once after a disconnect, so a
    # GET needs times=2 for the caller to see the error.
    session, base = client
    fake.rules.append(FailRule("GET", r"/wp/v2/posts", status=0, times=2))
    with pytest.raises(aiohttp.ClientConnectionError):
        async with session.get(f"{base}/wp-json/wp/v2/posts") as resp:
            await resp.read()
    assert fake.rules[0].fired == 2


async def test_status_minus_one_hangs_past_the_client_timeout(fake, client) -> None:
    session, base = client
    fake.rules.append(FailRule("GET", r"/wp/v2/posts", status=-1))
    with pytest.raises(asyncio.TimeoutError):
        async with session.get(
            f"{base}/wp-json/wp/v2/posts", timeout=aiohttp.ClientTimeout(total=0.3)
        ) as resp:
            await resp.read()


async def test_rules_also_match_rest_route_requests(fake, client) -> None:
    session, base = client
    fake.rules.append(FailRule("GET", r"/wp/v2/users/me$", status=503))
    async with session.get(f"{base}/", params={"rest_route": "/wp/v2/users/me"}) as resp:
        assert resp.status == 503


async def test_requests_are_recorded_and_writes_counted(fake, client) -> None:
    session, base = client
    async with session.get(f"{base}/wp-json/wp/v2/posts?per_page=5"):
        pass
    async with session.post(f"{base}/wp-json/wp/v2/posts", json={"title": "a"}) as resp:
        pid = (await resp.json())["id"]
    async with session.delete(f"{base}/wp-json/wp/v2/posts/{pid}", params={"force": "true"}):
        pass
    assert fake.requests == [
        ("GET", "/wp-json/wp/v2/posts?per_page=5"),
        ("POST", "/wp-json/wp/v2/posts"),
        ("DELETE", f"/wp-json/wp/v2/posts/{pid}?force=true"),
    ]
    assert fake.writes() == 2
    fake.reset_counters()
    assert fake.requests == [] and fake.writes() == 0
    assert fake.posts == {}  # state is not touched by reset_counters


async def test_clock_decides_upload_folder_and_default_dates(fake, client) -> None:
    session, base = client
    fake.clock = lambda: datetime(2026, 1, 31, 16, 30, tzinfo=UTC)  # already February 1st in Seoul
    headers = {"Content-Type": "image/png", "Content-Disposition": 'attachment; filename="c.png"'}
    async with session.post(f"{base}/wp-json/wp/v2/media", data=PNG, headers=headers) as resp:
        media = await resp.json()
    assert media["media_details"]["file"] == "2026/02/c.png"
    assert (media["media_details"]["width"], media["media_details"]["height"]) == (5, 7)
    async with session.post(f"{base}/wp-json/wp/v2/posts", json={"title": "now"}) as resp:
        post = await resp.json()
    assert (post["date"], post["date_gmt"]) == ("2026-02-01T01:30:00", "2026-01-31T16:30:00")
    async with session.get(media["source_url"]) as resp:
        assert resp.status == 200 and resp.content_type == "image/png" and await resp.read() == PNG


async def test_state_is_inspectable_with_raw_values(fake, client) -> None:
    session, base = client
    content = "<p>x</p><!-- tistory-post-1 -->"
    async with session.post(
        f"{base}/wp-json/wp/v2/posts",
        json={"title": "T", "content": content, "status": "publish", "tags": [7]},
    ) as resp:
        pid = (await resp.json())["id"]
    stored = fake.posts[pid]
    assert (stored["content"], stored["status"], stored["slug"], stored["tags"]) == (
        content,
        "publish",
        "t",
        [7],
    )


async def test_subscriber_role_knob_forbids_writes(fake, client) -> None:
    session, base = client
    fake.role = "subscriber"
    async with session.post(f"{base}/wp-json/wp/v2/tags", json={"name": "x"}) as resp:
        assert resp.status == 403
        assert (await resp.json())["code"] == "rest_cannot_create"


async def test_refused_upload_types_are_configurable(fake, client) -> None:
    session, base = client
    fake.refuse_upload_types.add("image/png")
    headers = {"Content-Type": "image/png", "Content-Disposition": 'attachment; filename="r.png"'}
    async with session.post(f"{base}/wp-json/wp/v2/media", data=PNG, headers=headers) as resp:
        assert resp.status == 500
        assert (await resp.json())["code"] == "rest_upload_sideload_error"
    assert fake.media == {}


async def test_latency_is_applied_before_answering() -> None:
    slow = FakeWordPress(latency_s=0.05)
    server = TestServer(slow.app())
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session, session.get(str(server.make_url("/wp-json/"))) as resp:
            assert resp.status == 200
        assert slow.requests == [("GET", "/wp-json/")]
    finally:
        await server.close()
