"""FakeNotify: a local stand-in for the Telegram Bot API (`/bot<token>/sendMessage`) and a webhook.

    fake = FakeNotify(token="123:abc")
    server = await aiohttp_server(fake.app())
    settings = ...(telegram_api_url=str(server.make_url("")), webhook_url=str(server.make_url("/hook")))

`messages` holds what Telegram received (chat_id, text), `hooks` the webhook JSON bodies. Knobs:
`fail_telegram` / `fail_webhook` (statuses answered before succeeding; 0 drops the connection),
`delay_s` (a slow server). A wrong token gets Telegram's own 401 answer.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

__all__ = ["FakeNotify"]


class FakeNotify:
    def __init__(self, *, token: str = "123456:ABC-secret-token") -> None:
        self.token = token
        self.messages: list[dict[str, Any]] = []
        self.hooks: list[dict[str, Any]] = []
        self.hook_deliveries: list[str | None] = []  # X-Migrator-Delivery of every attempt
        self.fail_telegram: list[int] = []
        self.fail_webhook: list[int] = []
        self.delay_s = 0.0
        self.requests: list[str] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/bot{token}/sendMessage", self._send_message)
        app.router.add_post("/hook", self._hook)
        return app

    async def _pause(self) -> None:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)

    @staticmethod
    def _fail(request: web.Request, status: int) -> web.Response:
        if status == 0:
            if request.transport is not None:
                request.transport.close()
            raise asyncio.CancelledError
        return web.json_response(
            {"ok": False, "error_code": status, "description": "Injected failure"}, status=status
        )

    async def _send_message(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        await self._pause()
        if self.fail_telegram:
            return self._fail(request, self.fail_telegram.pop(0))
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        body = await request.json()
        if not body.get("chat_id"):
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}, status=400
            )
        if len(body.get("text", "")) > 4096:
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"},
                status=400,
            )
        self.messages.append({"chat_id": body["chat_id"], "text": body["text"]})
        return web.json_response({"ok": True, "result": {"message_id": len(self.messages)}})

    async def _hook(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        self.hook_deliveries.append(request.headers.get("X-Migrator-Delivery"))
        await self._pause()
        if self.fail_webhook:
            return self._fail(request, self.fail_webhook.pop(0))
        self.hooks.append(await request.json())
        return web.Response(status=204)
