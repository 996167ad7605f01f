"""Shared test fixtures. Every test runs offline: fake servers listen on 127.0.0.1 only."""

from __future__ import annotations

from unittest.mock import Mock

import aioresponses.core
from aiohttp import ClientResponse


class _CompatClientResponse(ClientResponse):
    """aioresponses 0.7.9 builds ClientResponse without the `stream_writer` argument that aiohttp
    3.14 requires (TypeError otherwise); supply a dummy one so aioresponses keeps working."""

    def __init__(self, *args, stream_writer=None, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, stream_writer=stream_writer if stream_writer is not None else Mock(), **kwargs)


aioresponses.core.ClientResponse = _CompatClientResponse  # type: ignore[misc]
