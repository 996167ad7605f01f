"""A counting reverse proxy in front of the real WordPress, in a process of its own.

Counts every request by method and route (`GET /wp/v2/posts/{id}?context`: numbers in the path
become {id}, the query keeps its keys only) and by answer status; remembers each created post's id
and, for each file upload, its name, type, query fields, content hash and the media WordPress made
of it: what the replay of the bound needs to upload the same files under the same names. The tool
and the replay both go through it, so both pay the same small forwarding cost.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import multiprocessing
import re
import resource
import signal
import time
from collections import Counter, defaultdict
from typing import Any
from urllib.parse import parse_qsl

_SKIP_REQUEST = {"host", "connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade",
                 "transfer-encoding", "content-length"}
_SKIP_RESPONSE = _SKIP_REQUEST - {"host"}
READS = frozenset({"GET", "HEAD", "OPTIONS"})
_NUMBER = re.compile(r"/\d+(?=/|$)")
_FILENAME = re.compile(r'filename="?([^";]+)"?')


def route_of(path: str, query: str) -> str:
    route = path.split("/wp-json", 1)[1] if "/wp-json" in path else path
    route = _NUMBER.sub("/{id}", route) or "/"
    keys = sorted({k for k, _ in parse_qsl(query, keep_blank_values=True)})
    return route + ("?" + ",".join(keys) if keys else "")


class CountingProxy:
    def __init__(self, wp_latency_s: float) -> None:
        self.upstream = ""
        self.wp_latency_s = wp_latency_s
        self.session: Any = None
        self.reset()

    def reset(self) -> None:
        self.routes: Counter[str] = Counter()
        self.seconds: defaultdict[str, float] = defaultdict(float)   # time WordPress took to answer, per route
        self.statuses: Counter[str] = Counter()
        self.uploads: list[dict[str, Any]] = []
        self.created_posts: list[int] = []
        self.first = self.last = 0.0

    def stats(self) -> dict[str, Any]:
        return {
            "routes": dict(self.routes), "seconds": dict(self.seconds), "statuses": dict(self.statuses), "uploads": self.uploads,
            "created_posts": self.created_posts, "first": self.first, "last": self.last,
            "cpu_s": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
        }

    async def forward(self, request: Any) -> Any:
        import aiohttp
        from aiohttp import web
        from multidict import CIMultiDict

        if self.session is None:
            self.session = aiohttp.ClientSession(
                auto_decompress=False, timeout=aiohttp.ClientTimeout(total=600),
                connector=aiohttp.TCPConnector(limit=0),
            )
        now = time.time()
        self.first = self.first or now
        body = await request.read()
        method, route = request.method, route_of(request.path, request.query_string)
        if self.wp_latency_s:
            await asyncio.sleep(self.wp_latency_s)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _SKIP_REQUEST}
        sent = time.monotonic()
        async with self.session.request(method, self.upstream + request.path_qs, headers=headers,
                                        data=body or None, allow_redirects=False) as upstream:
            payload = await upstream.read()
            out_headers = [(k, v) for k, v in upstream.headers.items() if k.lower() not in _SKIP_RESPONSE]
            status = upstream.status
        self.last = time.time()
        self.routes[f"{method} {route}"] += 1
        self.seconds[f"{method} {route}"] += time.monotonic() - sent
        self.statuses[f"{method} {status}"] += 1
        if method == "POST" and status == 201:
            self._remember(request, route, body, payload)
        return web.Response(status=status, body=payload, headers=CIMultiDict(out_headers))

    def _remember(self, request: Any, route: str, body: bytes, payload: bytes) -> None:
        try:
            answer = json.loads(payload)
        except ValueError:
            return
        if route.startswith("/wp/v2/posts") and "{id}" not in route:
            self.created_posts.append(int(answer["id"]))
        elif route.startswith("/wp/v2/media") and "{id}" not in route:
            name = _FILENAME.search(request.headers.get("Content-Disposition", ""))
            self.uploads.append({
                "filename": name.group(1) if name else None,
                "content_type": request.headers.get("Content-Type", ""),
                "query": dict(parse_qsl(request.query_string, keep_blank_values=True)),
                "sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body),
                "id": int(answer["id"]), "source_url": answer.get("source_url", ""),
                # sizes WordPress's image editor made of it (thumbnail, medium, ..., -scaled)
                "sizes": len((answer.get("media_details") or {}).get("sizes") or {}),
            })


async def _main(wp_latency_s: float, ready: multiprocessing.Queue) -> None:
    from aiohttp import web

    proxy = CountingProxy(wp_latency_s)

    async def configure(request: web.Request) -> web.Response:
        proxy.upstream = (await request.json())["upstream"].rstrip("/")
        proxy.reset()
        return web.json_response({})

    async def reset(_: web.Request) -> web.Response:
        proxy.reset()
        return web.json_response({})

    async def stats(_: web.Request) -> web.Response:
        return web.json_response(proxy.stats())

    ports = {}
    for name, app in (("proxy", web.Application(client_max_size=512 * 1024 * 1024)), ("control", web.Application())):
        if name == "proxy":
            app.router.add_route("*", "/{tail:.*}", proxy.forward)
        else:
            app.router.add_post("/configure", configure)
            app.router.add_post("/reset", reset)
            app.router.add_get("/stats", stats)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        ports[name] = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    ready.put(ports)
    await asyncio.Event().wait()


def serve(wp_latency_s: float, ready: multiprocessing.Queue) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler (stop WordPress) is not ours
    asyncio.run(_main(wp_latency_s, ready))


def start_proxy(wp_latency_s: float) -> tuple[multiprocessing.Process, dict[str, int]]:
    ready: multiprocessing.Queue = multiprocessing.Queue()
    process = multiprocessing.Process(target=serve, args=(wp_latency_s, ready), daemon=True)
    process.start()
    return process, ready.get(timeout=60)
