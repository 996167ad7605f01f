"""The printed table of `bench.py --wordpress real` (and a JSON digest of it)."""

from __future__ import annotations

from typing import Any

from scripts.benchreal.proxy import READS


def _fmt(value: float | int | None, spec: str = ".1f") -> str:
    return "n/a" if value is None else format(value, spec)


def _per(value: float | None, count: int) -> float | None:
    return None if value is None or not count else value / count


def _split(routes: dict[str, int]) -> tuple[int, int]:
    reads = sum(n for k, n in routes.items() if k.split(" ", 1)[0] in READS)
    return reads, sum(routes.values()) - reads


def _ms(traffic: dict[str, Any], route: str) -> float | None:
    count = traffic["routes"].get(route, 0)
    return 1000 * traffic["seconds"].get(route, 0.0) / count if count else None


def _sizes(uploads: list[dict[str, Any]]) -> float | None:
    return sum(u["sizes"] for u in uploads) / len(uploads) if uploads else None


def digest(f: dict[str, Any]) -> dict[str, Any]:
    tool, replay = f["tool"], f["replay"]
    posts = f["migrated"] if f["migrated"] is not None else len(f["traffic"]["created_posts"])
    replayed = replay.counts.get("posts", 0)
    reads, writes = _split(f["traffic"]["routes"])
    r_reads, r_writes = _split(f["replay_traffic"]["routes"])
    n_reads, n_writes = _split(f["noop_traffic"]["routes"])
    revisions = f["counts_after"].get("revision", 0) - f["counts_before"].get("revision", 0)
    r_revisions = f["replay_counts_after"].get("revision", 0) - f["replay_counts_before"].get("revision", 0)
    ph = f["tool_phases"]
    distinct = len({u["sha256"] for u in f["traffic"]["uploads"]})
    return {
        "posts": posts, "replayed": replayed, "tool_s": tool.wall_s, "bound_s": replay.total_s,
        "ratio": tool.wall_s / replay.total_s if replay.total_s else None,
        "posts_per_s": _per(posts, tool.wall_s) if tool.wall_s else None,
        "posts_phase_s": ph["posts_s"], "links_s": ph["links_s"], "startup_s": ph["startup_s"], "exit_s": ph["exit_s"],
        "posts_phase_per_s": posts / ph["posts_s"] if ph["posts_s"] else None,
        "bound_posts_per_s": replayed / replay.total_s if replay.total_s else None,
        "wp_reads": reads, "wp_writes": writes, "replay_reads": r_reads, "replay_writes": r_writes,
        "uploads": len(f["traffic"]["uploads"]), "distinct_files": distinct,
        "revisions": revisions, "replay_revisions": r_revisions,
        "wp_cpu_s": f["wp_cpu"]["php"] + f["wp_cpu"]["mariadb"], "replay_wp_cpu_s": sum(f["replay_wp_cpu"].values()),
        "tool_cpu_s": max(tool.cpu_s, tool.cpu_seen_s), "peak_rss_mb": tool.peak_rss / 2**20,
        "noop_s": f["noop"].wall_s, "noop_reads": n_reads, "noop_writes": n_writes,
        "noop_revisions": f["counts_noop"].get("revision", 0) - f["counts_after"].get("revision", 0),
    }


def as_json(f: dict[str, Any]) -> dict[str, Any]:
    d = digest(f)
    d.update(args=f["args"], images=f["images"], routes=f["traffic"]["routes"], replay_routes=f["replay_traffic"]["routes"],
             noop_routes=f["noop_traffic"]["routes"], replay_phases=f["replay"].seconds, wp_cpu=f["wp_cpu"],
             replay_wp_cpu=f["replay_wp_cpu"], load_start=f["load_start"], load_end=f["load_end"],
             replay_errors=f["replay"].errors[:20], statuses=f["traffic"]["statuses"])
    return d


def render(f: dict[str, Any]) -> str:
    a, d, tool, replay = f["args"], digest(f), f["tool"], f["replay"]
    posts, replayed = d["posts"], d["replayed"]
    out = [
        f"real WordPress (wp-local.sh, php -S + MariaDB; ready in {f['wp_start_s']:.1f} s); posts: {a['posts']}, "
        f"images/post: {a['images_per_post']:g}, images: {f['images']}; workers: {a['workers']}; "
        f"latency: {a['latency_ms']:g} ms (blog, CDN), {a['wp_latency_ms']:g} ms (WordPress); "
        f"rate limit: {a['rate_limit']:g}/s per host",
        f"load average at start {' '.join(f'{x:.2f}' for x in f['load_start'])}, at end "
        f"{' '.join(f'{x:.2f}' for x in f['load_end'])} (2 = both cores busy on this machine)",
        "",
        f"{'':44} {'tool':>12} {'bound':>12}",
    ]

    def row(label: str, tool_value: str, bound_value: str = "") -> None:
        out.append(f"{label:44} {tool_value:>12} {bound_value:>12}")

    row("posts written (tool: migrated, failed)", f"{posts}, {_fmt(f['failed'], 'd')}", str(replayed))
    row("wall time, s (tool: whole run, links included)", _fmt(d["tool_s"]), _fmt(d["bound_s"]))
    row("posts/s, whole run", _fmt(d["posts_per_s"], ".2f"), _fmt(d["bound_posts_per_s"], ".2f"))
    row("  startup (to run_started), s", _fmt(d["startup_s"]))
    row("  posts phase (discovery + posts), s", _fmt(d["posts_phase_s"]))
    row("  posts/s in the posts phase", _fmt(d["posts_phase_per_s"], ".2f"))
    row("  link pass, s", _fmt(d["links_s"]))
    row("  after the link pass (summary, exit), s", _fmt(d["exit_s"]))
    row("WordPress requests per post", _fmt(_per(d["wp_reads"] + d["wp_writes"], posts), ".2f"),
        _fmt(_per(d["replay_reads"] + d["replay_writes"], replayed), ".2f"))
    row("  writes per post", _fmt(_per(d["wp_writes"], posts), ".2f"), _fmt(_per(d["replay_writes"], replayed), ".2f"))
    row("  reads per post", _fmt(_per(d["wp_reads"], posts), ".2f"), _fmt(_per(d["replay_reads"], replayed), ".2f"))
    row("uploads (distinct files)", f"{d['uploads']} ({d['distinct_files']})", str(replay.counts.get("uploads", 0)))
    row("  image sizes WordPress made per upload", _fmt(_sizes(f["traffic"]["uploads"])), _fmt(_sizes(f["replay_traffic"]["uploads"])))
    row("revisions created", str(d["revisions"]), str(d["replay_revisions"]))
    row("WordPress CPU s per post (php + MariaDB)", _fmt(_per(d["wp_cpu_s"], posts), ".3f"),
        _fmt(_per(d["replay_wp_cpu_s"], replayed), ".3f"))
    row("  of which MariaDB", _fmt(_per(f["wp_cpu"]["mariadb"], posts), ".3f"),
        _fmt(_per(f["replay_wp_cpu"]["mariadb"], replayed), ".3f"))
    row("tool CPU s per post (whole process tree)", _fmt(_per(d["tool_cpu_s"], posts), ".3f"))
    row("peak RSS of the tool's process tree, MB", f"{d['peak_rss_mb']:.0f} ({tool.peak_processes} proc)")
    out.append("")
    ratio = d["ratio"]
    out.append(f"THE BOUND: tool_time / bound_time = {_fmt(d['tool_s'])} / {_fmt(d['bound_s'])} s = {_fmt(ratio, '.2f')}"
               f"  (the tool runs at {_fmt(1 / ratio if ratio else None, '.2f')} of the bound)")
    rp = replay.seconds
    out.append(
        "  bound phases: "
        + ", ".join(f"{name} {replay.counts.get(name, 0) if name != 'terms' else replay.counts.get('categories', 0) + replay.counts.get('tags', 0)}"
                    f" in {rp.get(name, 0):.1f} s" for name in ("terms", "uploads", "posts"))
        + f"; retries {replay.retries}; errors {len(replay.errors)}; unmapped media URLs {replay.unmapped_urls}"
        + (f" (first: {replay.errors[0]})" if replay.errors else "")
    )
    if rp.get("uploads"):
        out.append(f"  bound rates: {replay.counts.get('uploads', 0) / rp['uploads']:.1f} uploads/s, "
                   f"{replayed / rp['posts']:.1f} post creates/s" if rp.get("posts") else "")
    c = f["replay_check"]
    created = len(set(f["traffic"]["created_posts"]))
    if len(f["snapshot_ids"]) != created:
        out.append(f"  WARNING: {len(f['snapshot_ids'])} posts read back of the {created} the tool created")
    out.append(f"  bound check (read back afterwards): {c['posts']} drafts ({c['distinct']} distinct), {c['same_slugs']} with the tool's slugs; "
               f"{c['content_media_urls_on_site']} of {c['content_media_urls']} media addresses in their content are "
               f"files of that site; featured image on {c['featured']} (tool: {c['featured_expected']}); {c['media']} media")
    noop = f["noop"]
    out.append(f"no-op re-run: {noop.wall_s:.1f} s, WordPress writes {d['noop_writes']}, reads {d['noop_reads']}, "
               f"revisions {d['noop_revisions']}, exit {noop.exit_code}")
    out.append("")
    out.append("WordPress requests by method and route: per post; ms = mean time WordPress took to answer one;")
    out.append("no-op re-run: count")
    out.append(f"  {'':52} {'tool':>8} {'ms':>6} {'bound':>8} {'ms':>6} {'no-op':>6}")
    routes = f["traffic"]["routes"]
    names = sorted(set(routes) | set(f["replay_traffic"]["routes"]) | set(f["noop_traffic"]["routes"]),
                   key=lambda k: (-routes.get(k, 0), k))
    replay_routes = f["replay_traffic"]["routes"]
    for name in names:
        out.append(f"  {name[:52]:52} {_fmt(_per(routes.get(name, 0), posts), '.3f'):>8} "
                   f"{_fmt(_ms(f['traffic'], name), '.0f'):>6} "
                   f"{_fmt(_per(replay_routes.get(name, 0), replayed), '.3f'):>8} "
                   f"{_fmt(_ms(f['replay_traffic'], name), '.0f'):>6} "
                   f"{f['noop_traffic']['routes'].get(name, 0):>6}")
    bad = {k: n for k, n in f["traffic"]["statuses"].items() if not k.split()[1].startswith("2")}
    if bad:
        out.append(f"  answers other than 2xx to the tool: {bad}")
    out.append(f"tool CPU: {tool.cpu_s:.1f} s by wait4 (tool + waited-for children), {tool.cpu_seen_s:.1f} s summed "
               f"over sampled processes; largest single process RSS {tool.max_single_rss / 2**20:.0f} MB")
    cpu = f["wp_cpu"]
    out.append(f"WordPress CPU during the tool's run: php {cpu['php']:.1f} s + MariaDB {cpu['mariadb']:.1f} s over "
               f"{tool.wall_s:.1f} s = {(cpu['php'] + cpu['mariadb']) / tool.wall_s:.2f} cores; during the bound: "
               f"{sum(f['replay_wp_cpu'].values()) / max(replay.total_s, 1e-9):.2f} cores")
    tool_side = cpu["machine"] - cpu["php"] - cpu["mariadb"] - d["tool_cpu_s"]
    bound_side = f["replay_machine_s"] - sum(f["replay_wp_cpu"].values())
    out.append(f"everything else on the machine (other users, this harness): {tool_side / tool.wall_s:.2f} cores during "
               f"the tool's run, {bound_side / max(replay.total_s, 1e-9):.2f} cores during the bound")
    h = f["harness_cpu_s"]
    out.append(f"harness CPU (whole session): fake blog + CDN {h['blog+cdn']:.1f} s, counting proxy {h['proxy']:.1f} s")
    return "\n".join(out)
