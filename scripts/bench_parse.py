"""Median CPU milliseconds per post of parse_post + clean_body over the saved sample pages.

Usage: python scripts/bench_parse.py [--repeat N] [--profile]

CPU time (time.process_time), not wall time. Each page is run once to warm caches, then N
rounds over all pages (interleaved). Per page it prints the median and the minimum run; the
minimum is the cost of the code itself, the median also carries interference from other load
(on a shared VM, CPU steal and cache contention inflate process time too). A fixed reference loop
is timed between rounds so the figures can be read against the machine's current speed.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from migrator.tistory.clean import clean_body  # noqa: E402
from migrator.tistory.parse import parse_post  # noqa: E402

# Copies in tests/data are used when present, else the shared read-only fixtures.
_DIRS = (ROOT / "tests" / "data", ROOT.parent / "shared" / "fixtures" / "tistory-samples")
PAGES = {
    "A637": ("skin-A_post637_owner-view_imageblock-opengraph-code-fileblock_ramen4598.html",
             "https://ramen4598.tistory.com/637"),
    "A634": ("skin-A_post634_owner-view_imagegrid-youtube-video-tables_ramen4598.html",
             "https://ramen4598.tistory.com/634"),
    "A384": ("skin-A_post384_owner-view_tables-code-opengraph_ramen4598.html",
             "https://ramen4598.tistory.com/384"),
    "B215": ("skin-B_post215_guest-view_single-imageblock-dna-signed-url_dtslib1k.html",
             "https://dtslib1k.tistory.com/215"),
    "B220": ("skin-B_post220_guest-view_html-mode-body-contains-full-document_dtslib1k.html",
             "https://dtslib1k.tistory.com/220"),
    "C30": ("skin-C_post30_guest-view_legacy-editor_custom-domain_cfile-images_no-useless-margin_"
            "morenice.html",
            "https://www.morenice.kr/30"),
}


def _load(name: str) -> str:
    for directory in _DIRS:
        path = directory / name
        if path.exists():
            return path.read_text(encoding="utf-8")
    raise SystemExit(f"sample page not found: {name}")


def _one(html: str, url: str) -> None:
    post = parse_post(html, url)
    clean_body(post.body_html, page_url=post.canonical_url, blog_hosts=post.blog_hosts)


IDLE_REFERENCE_US = 46.0  # the reference loop on an idle core of this VM type, measured once


def _reference_us() -> float:
    """A fixed pure-Python workload, to tell how fast the (shared) machine is right now."""
    best = min(timeit.repeat("sum(i * i for i in x)", "x = list(range(1000))", number=100, repeat=3))
    return best / 100 * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of all pages")
    args = parser.parse_args()

    pages = {key: (_load(name), url) for key, (name, url) in PAGES.items()}
    for html, url in pages.values():
        _one(html, url)  # warm-up: imports, regex and selector caches
    runs: dict[str, list[float]] = {key: [] for key in pages}
    references = [_reference_us()]
    # Pages are interleaved so that a burst of load on the machine hits all of them alike.
    for _ in range(args.repeat):
        for key, (html, url) in pages.items():
            start = time.process_time()
            _one(html, url)
            runs[key].append((time.process_time() - start) * 1000)
        references.append(_reference_us())
    for key, values in runs.items():
        print(f"{key:5} {len(pages[key][0]) / 1024:6.1f} KiB  median {statistics.median(values):6.2f} ms  "
              f"min {min(values):6.2f} ms  max {max(values):6.2f} ms")
    median_of_medians = statistics.median(statistics.median(v) for v in runs.values())
    median_of_minimums = statistics.median(min(v) for v in runs.values())
    reference = min(references)
    print(f"median over pages of per-page medians:  {median_of_medians:6.2f} ms CPU per post")
    print(f"median over pages of per-page minimums: {median_of_minimums:6.2f} ms CPU per post (budget 10 ms)")
    print(f"reference loop: best {reference:.1f} µs, median {statistics.median(references):.1f} µs "
          f"(idle core: ~{IDLE_REFERENCE_US:.0f} µs); minimums scaled to an idle core: "
          f"{median_of_minimums * IDLE_REFERENCE_US / reference:.2f} ms")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for html, url in pages.values():
            for _ in range(5):
                _one(html, url)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
