"""Helpers of scripts/try-local.sh: serve a demo fake Tistory blog, and show what WordPress holds.

    python -m tests.e2e.demo serve-blog URL_FILE     # serves until SIGTERM/SIGINT; writes the URL
    python -m tests.e2e.demo show                    # reads WP_BASE_URL/WP_APP_USER/WP_APP_PASSWORD

The demo blog is the one the end-to-end tests migrate (tests/e2e/scenario.py): 32 public posts with
Korean titles, images and file names, nested categories, tags, code blocks, a protected post.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

from tests.e2e.scenario import build_blog
from tests.e2e.servers import BackgroundLoop
from tests.e2e.wpread import WPReader, raw

__all__ = ["main", "serve_blog", "show"]


def serve_blog(url_file: Path) -> None:
    loop = BackgroundLoop()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        blog = build_blog(loop, "demo")
        url_file.write_text(blog.blog_url + "\n", encoding="utf-8")
        stop.wait()
    finally:
        loop.stop()


def show() -> None:
    reader = WPReader(os.environ["WP_BASE_URL"], os.environ["WP_APP_USER"], os.environ["WP_APP_PASSWORD"])
    posts = reader.list_all("/posts", status="any", context="edit")
    media = reader.list_all("/media", context="edit")
    categories = reader.list_all("/categories", hide_empty="false")
    tags = reader.list_all("/tags", hide_empty="false")
    statuses = ", ".join(f"{n} {s}" for s, n in Counter(p["status"] for p in posts).most_common())
    print(
        f"WordPress at {reader.base} holds {len(posts)} posts ({statuses or 'none'}), {len(media)} media, "
        f"{len(categories)} categories, {len(tags)} tags."
    )
    # Term counts include published posts only, so every category is listed, drafts or not.
    for path in sorted(" / ".join(reader.category_path(cat["id"])) for cat in categories):
        print(f"  category {path}")
    for post in posts[:15]:
        images = raw(post["content"]).count("<img")
        print(f"  {post['status']:<6} {post['date']}  {raw(post['title'])}  ({images} images)")
    if len(posts) > 15:
        print(f"  … and {len(posts) - 15} more")
    for item in media[:5]:
        print(f"  media {unquote(item['source_url'])}")


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "serve-blog":
        serve_blog(Path(argv[1]))
        return 0
    if argv == ["show"]:
        show()
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
