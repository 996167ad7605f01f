#!/usr/bin/env python3
"""Peak memory of downloading one big file and one gzip bomb, the old way and the bounded way.

    python3 scripts/bench_download.py                  # 250 MB file, 298 KiB gzip bomb (300 MiB inflated)
    python3 scripts/bench_download.py --size-mb 250 --bomb-mib 300

A local server (this process) serves the files; each download runs in a fresh child process that
prints its own peak RSS, so the figures are those of one downloading worker alone.
- "before": what migrator did until issue 8 (HttpClient.request reads the whole body, auto-decompressed,
  then checks the 200 MB cap);
- "after": migrator.http.download_file (Content-Length checked up front, decoded bytes counted while
  streaming to a temporary file), with the 200 MB cap, and with the cap raised above the file's size
  (the whole file is streamed to disk: memory must stay flat).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import threading
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _bomb(decoded_mib: int) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1024 * 1024)
    parts = [z.compress(b"\x89PNG\r\n\x1a\n")]
    parts += [z.compress(block) for _ in range(decoded_mib)]
    parts.append(z.flush())
    return b"".join(parts)


def serve(size: int, bomb: bytes, ready: threading.Event, port_box: list[int]) -> None:
    from aiohttp import web

    async def big(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        response.content_length = size
        await response.prepare(request)
        chunk = b"\x89PNG\r\n\x1a\n" + bytes(1024 * 1024 - 8)
        sent = 0
        try:
            while sent < size:
                piece = chunk[: size - sent]
                await response.write(piece)
                sent += len(piece)
        except (ConnectionError, RuntimeError):
            pass
        return response

    async def gzip_bomb(request: web.Request) -> web.Response:
        return web.Response(body=bomb, headers={"Content-Type": "image/png", "Content-Encoding": "gzip"})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/big.png", big)
        app.router.add_get("/bomb.png", gzip_bomb)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port_box.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


async def child(url: str, method: str, cap_mb: int) -> dict[str, object]:
    from migrator.errors import MigratorError
    from migrator.http import HttpClient, download_file, make_session

    outcome = "ok"
    size = 0
    async with make_session(timeout_s=600, auto_decompress=(method == "before")) as session:
        client = HttpClient(session, service="files", rate_limit=0, max_retries=0)
        try:
            if method == "before":
                resp = await client.request("GET", url)
                size = len(resp.body)
                if size > cap_mb * 1024 * 1024:
                    outcome = f"refused after reading: larger than {cap_mb} MB"
            else:
                spooled = await download_file(client, url, max_bytes=cap_mb * 1024 * 1024)
                size = spooled.size
                spooled.discard()
        except MigratorError as exc:
            outcome = f"refused: {exc.message}"
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"outcome": outcome, "bytes": size, "peak_rss_mib": round(peak_mib, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=250)
    parser.add_argument("--bomb-mib", type=int, default=300)
    parser.add_argument("--child", nargs=3, metavar=("URL", "METHOD", "CAP_MB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, method, cap = args.child
        print(json.dumps(asyncio.run(child(url, method, int(cap)))))
        return
    bomb = _bomb(args.bomb_mib)
    ready, port_box = threading.Event(), []
    threading.Thread(target=serve, args=(args.size_mb * 1000 * 1000, bomb, ready, port_box), daemon=True).start()
    ready.wait(30)
    base = f"http://127.0.0.1:{port_box[0]}"
    cases = [
        (f"{args.size_mb} MB file", "/big.png", "before", 200),
        (f"{args.size_mb} MB file", "/big.png", "after", 200),
        (f"{args.size_mb} MB file", "/big.png", "after", args.size_mb + 50),
        (f"gzip bomb {len(bomb) // 1024} KiB -> {args.bomb_mib} MiB", "/bomb.png", "before", 200),
        (f"gzip bomb {len(bomb) // 1024} KiB -> {args.bomb_mib} MiB", "/bomb.png", "after", 200),
    ]
    print(f"{'case':34} {'method':7} {'cap':>7}  {'peak RSS':>10}  outcome")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for label, path, method, cap in cases:
        out = subprocess.run(
            [sys.executable, __file__, "--child", base + path, method, str(cap)],
            capture_output=True, text=True, env=env, check=False,
        )
        try:
            result = json.loads(out.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            print(f"{label:34} {method:7} {cap:>4} MB  child failed: {out.stderr.strip()[-300:]}")
            continue
        print(f"{label:34} {method:7} {cap:>4} MB  {result['peak_rss_mib']:>7} MiB  "
              f"{result['outcome']} ({result['bytes']:,} bytes read)")


if __name__ == "__main__":
    main()
