"""Median CPU milliseconds per post of parse_post + clean_body over the saved sample pages.

Usage: python scripts/bench_parse.py [--repeat N] [--profile]

CPU time (time.process_time), not wall time. Each page is run once to warm caches, then N
times. Per page it prints the median and the minimum run; the minimum is the cost of the code
itself, the median also carries interference from other load on the machine (on a shared VM,
CPU steal and cache contention inflate process time too). Both medians over pages are printed.
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

from migrator.clean import clean_body  # noqa: E402
from migrator.parse import parse_post  # noqa: E402

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
    "C30": ("skin-C_post30_guest-view_legacy-editor_custom-domain_cfile-images_no-useless-margin_morenice.html",
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of all pages")
    args = parser.parse_args()

    pages = {key: (_load(name), url) for key, (name, url) in PAGES.items()}
    # How fast is this machine right now? (shared VMs vary a lot; ~45 µs on an idle modern core)
    reference = min(timeit.repeat("sum(i * i for i in x)", "x = list(range(1000))", number=200, repeat=5))
    print(f"reference loop: {reference / 200 * 1e6:.1f} µs (sum of 1000 squares)")
    medians: dict[str, float] = {}
    minimums: dict[str, float] = {}
    for key, (html, url) in pages.items():
        _one(html, url)  # warm-up: imports, regex and selector caches
        runs = []
        for _ in range(args.repeat):
            start = time.process_time()
            _one(html, url)
            runs.append((time.process_time() - start) * 1000)
        medians[key] = statistics.median(runs)
        minimums[key] = min(runs)
        print(f"{key:5} {len(html) / 1024:6.1f} KiB  median {medians[key]:6.2f} ms  "
              f"min {min(runs):6.2f} ms  max {max(runs):6.2f} ms")
    print(f"median over pages of per-page medians: {statistics.median(medians.values()):.2f} ms CPU per post")
    print(f"median over pages of per-page minimums: {statistics.median(minimums.values()):.2f} ms CPU per post"
          f" (budget 10 ms)")
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
