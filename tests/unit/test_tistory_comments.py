"""Reading Tistory's comment JSON: pure functions, tolerant of what public sources do not pin down."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from migrator.state.store import MIGRATIONS, StateStore
from migrator.tistory.comments import (
    UnrecognisedShape,
    parse_comment_page,
    parse_written,
    text_of,
    thread_order,
)
from migrator.wordpress.comments import comment_html


def item(cid, content="hi", *, written="2024-03-06T09:10:11+09:00", children=(), **extra):
    return {"id": cid, "writer": {"name": f"n{cid}", "homepage": "https://h.example"}, "content": content,
            "written": written, "children": list(children), **extra}


@pytest.mark.parametrize(("value", "expected"), [
    ("2024-03-06T09:10:11+09:00", datetime(2024, 3, 6, 0, 10, 11, tzinfo=UTC)),
    ("2024-03-06T00:10:11Z", datetime(2024, 3, 6, 0, 10, 11, tzinfo=UTC)),
    ("2024-03-06 09:10:11", datetime(2024, 3, 6, 0, 10, 11, tzinfo=UTC)),   # no offset: Korea time
    ("2024. 3. 6. 09:10", datetime(2024, 3, 6, 0, 10, tzinfo=UTC)),          # Tistory's display form
    (1709683811, datetime(2024, 3, 6, 0, 10, 11, tzinfo=UTC)),
    (1709683811000, datetime(2024, 3, 6, 0, 10, 11, tzinfo=UTC)),
    ("1709683811", datetime(2024, 3, 6, 0, 10, 11, tzinfo=UTC)),
    ("어제", None), ("", None), (None, None), (True, None), ("2024-13-45 99:99:99", None),
])
def test_written_dates_are_exact_utc(value, expected):
    assert parse_written(value) == expected


def test_replies_are_threaded_under_their_parent_and_secret_ones_counted():
    page = parse_comment_page({"data": {"isLast": False, "nextId": 30, "items": [
        item(10, children=[item(11), item(12, isSecret=True)]),
        item(20, isSecret=True, children=[item(21)]),
        item(25, written="someday", children=[item(26)]),
        "not an object",
        item("27", content="<b>x</b>"),
    ]}})
    assert [(c.comment_id, c.parent_id) for c in page.comments] == [(10, None), (11, 10), (27, None)]
    assert (page.secret, page.unreadable) == (3, 3)   # 12, 20+21 | 25+26, the string
    assert (page.is_last, page.next_id) == (False, 30)
    assert page.comments[2].text == "x"


@pytest.mark.parametrize("document", [None, [], {"data": None}, {"data": {"list": []}}, {"items": []}, "x"])
def test_an_unknown_shape_is_refused(document):
    with pytest.raises(UnrecognisedShape):
        parse_comment_page(document)


def test_text_keeps_links_and_lets_no_markup_through():
    text = text_of('a<br/>b <a href="https://x.org/p?q=1">here</a> <script>bad()</script><i>i</i> &lt;b&gt;')
    assert text == "a\nb here (https://x.org/p?q=1) i <b>"
    out = comment_html(text + " see https://y.org/a,")
    assert out == ('a\nb here (<a href="https://x.org/p?q=1" rel="nofollow ugc">https://x.org/p?q=1</a>) i '
                   '&lt;b&gt; see <a href="https://y.org/a" rel="nofollow ugc">https://y.org/a</a>,')
    assert comment_html('javascript:alert(1) "q" <img>') == 'javascript:alert(1) "q" &lt;img&gt;'


def test_thread_order_puts_parents_first_whatever_the_page_order():
    page = parse_comment_page({"data": {"items": [
        item(5, written="2024-01-02T00:00:00Z", parent=None),
        item(7, written="2024-01-03T00:00:00Z", parent=5),
        item(3, written="2024-01-01T00:00:00Z"),
    ]}})
    assert [c.comment_id for c in thread_order(list(reversed(page.comments)))] == [3, 5, 7]


async def test_an_older_database_gains_the_comment_tables(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for version, script in enumerate(MIGRATIONS[:3], start=1):
        conn.executescript(f"{script}\nPRAGMA user_version = {version};")
    conn.execute("INSERT INTO items (post_id, canonical_url, status, wp_post_id, updated_at) "
                 "VALUES (7, 'https://b.tistory.com/7', 'completed', 70, 0)")
    conn.commit()
    conn.close()
    store = await StateStore.open(path)
    try:
        item_id = (await store.item_by_post_id(7)).id
        await store.record_comment_intent(item_id, 101, None, wp_post_id=70, job_id=None)
        assert await store.items_with_unfinished_comments() == {item_id}
        await store.record_comment_created(item_id, 101, 900)
        assert (await store.comments_of_item(item_id))[101].wp_comment_id == 900
        assert await store.items_with_unfinished_comments() == set()
    finally:
        await store.close()
