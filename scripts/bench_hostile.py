"""Time to parse / discover from hostile 1 MB inputs (issue 8: linear time on any page).

    PYTHONPATH=. python3 scripts/bench_hostile.py            # 1024 KiB inputs
    PYTHONPATH=. python3 scripts/bench_hostile.py --kib 46   # smaller (the old code needs minutes at 1 MB)
    PYTHONPATH=. python3 scripts/bench_hostile.py --only sitemap

Each case builds an input of about --kib KiB that is built to make a backtracking regex or a per-link
rescan go quadratic (unclosed elements, repeated openers, thousands of links to one post), runs the
real parsing function on it once and prints the seconds. `post page + clean` goes through
`offload.parse_page`, which also runs migrator.tistory.clean on the body: a slow figure there with
fast `post page (parse only)` points at clean.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from migrator.core import offload
from migrator.tistory import crawl, parse
from migrator.tistory.urls import classify_post_url

HOSTS = {"b.tistory.com"}
HEAD_OK = ('<script>window.T.config = {"DEFAULT_URL":"https://b.tistory.com"};\n'
           'window.T.entryInfo = {"entryId":5,"isAuthor":false};</script>\n'
           '<meta property="og:title" content="t"/><meta property="article:published_time" '
           'content="2024-03-05T10:20:30+09:00"/>')


def fill(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit))


def cases(size: int) -> dict[str, Callable[[], object]]:
    sitemap_loc = "<urlset>" + fill("<url><loc>https://b.tistory.com/1 ", size)
    sitemap_idx = "<sitemapindex>" + fill("<sitemap><loc>https://b.tistory.com/s.xml</loc>", size)
    rss = "<rss><channel>" + fill("<item><link><![CDATA[ https://b.tistory.com/2 ", size)
    list_one_post = ("<html><body><div>" + fill('<a href="/7">same post</a>', size)
                     + "<p>보호되어 있는 글입니다.</p></div></body></html>")
    list_distinct = "<html><body><div>" + "".join(
        f'<a href="/{n}">{n}</a>' for n in range(1, size // 20)) + "</div></body></html>"
    head_bait = (fill("window.TistoryBlog = { url: x", size // 4) + fill('<meta property="dg:plink" ', size // 4)
                 + fill('"DEFAULT_URL":"http://a', size // 4) + fill("window.T.entryInfo = {", size // 4))
    post_head = f"<html><head>{head_bait}</head><body></body></html>"
    post_body = (f"<html><head>{HEAD_OK}</head><body><div class=\"contents_style\">"
                 + fill('<p><a href="http://[x/1">x</a><img src="https://b.tistory.com/i.png"> &amp; ', size)
                 + "</div></body></html>")
    nested = (f"<html><head>{HEAD_OK}</head><body><div class=\"contents_style\">"
              + fill('<div><a rel="tag" href="/tag/x">x</a>', size // 2) + "</div></body></html>")
    return {
        "sitemap, unclosed <loc>": lambda: [classify_post_url(u, HOSTS) for u in crawl.parse_sitemap(sitemap_loc)[0]],
        "sitemap index, unclosed </sitemap>": lambda: crawl.parse_sitemap(sitemap_idx),
        "rss, unclosed <item>/<link>": lambda: crawl.parse_rss_links(rss),
        "list page, one post linked everywhere": lambda: crawl.extract_post_links(
            list_one_post, "https://b.tistory.com/", HOSTS),
        "list page, 50,000 distinct post links": lambda: crawl.extract_post_links(
            list_distinct, "https://b.tistory.com/", HOSTS),
        "list page head (blog hosts)": lambda: crawl._blog_hosts_in_page(post_head),
        "post page id (page_post_id)": lambda: parse.page_post_id(post_head),
        "post page, regex bait (parse)": lambda: offload.parse_page(post_head, "https://b.tistory.com/5"),
        "post page, malformed links (parse only)": lambda: _parse_only(post_body),
        "post page, malformed links + clean": lambda: offload.parse_page(post_body, "https://b.tistory.com/5"),
        "post page, deep nesting + tags (parse)": lambda: _parse_only(nested),
    }


def _parse_only(html: str) -> object:
    try:
        return parse.parse_post(html, "https://b.tistory.com/5")
    except Exception as exc:      # the figure is the time; the outcome is printed for reference
        return exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kib", type=int, default=1024, help="input size in KiB (default 1024)")
    parser.add_argument("--only", default="", help="run the cases whose name contains this text")
    args = parser.parse_args(argv)
    size = args.kib * 1024
    print(f"hostile inputs of ~{args.kib} KiB")
    worst = 0.0
    for name, run in cases(size).items():
        if args.only and args.only not in name:
            continue
        started = time.perf_counter()
        result = run()
        elapsed = time.perf_counter() - started
        worst = max(worst, elapsed)
        outcome = type(result).__name__
        print(f"  {name:<42} {elapsed:8.3f} s   ({outcome})", flush=True)
    print(f"worst: {worst:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
