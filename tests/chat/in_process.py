"""The real server app (``create_app``: API, widget routes, guard and Gradio page) driven in-process.

Requests go through httpx's ASGI transport, from any client address the test names, so the
rate limit and trusted proxies are exercised without starting a process: start one only where
the process is the point (uvicorn's own options, memory, a browser).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx

from chat.server import create_app
from chat.settings import Settings

URL = "http://127.0.0.1:7860"


def run_apart(coroutine):
    """``asyncio.run`` in a thread of its own: the browser tests' Playwright leaves an event loop running in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def app_for(engine, **settings):
    """The app over ``engine``, with no rate limit unless ``settings`` set one."""
    defaults = {"rate_limit": 0, "data_dir": "var"}
    return create_app(engine, Settings(**{**defaults, **settings}))


def call(app, method: str, path: str, client: str = "127.0.0.1", url: str = URL, **kwargs) -> httpx.Response:
    """One request to ``app``, as sent from ``client``."""

    async def go():
        transport = httpx.ASGITransport(app=app, client=(client, 50000), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=url, timeout=30) as http:
            return await http.request(method, path, **kwargs)

    return run_apart(go())
