"""Real Chromium, one real server and two host pages on other origins (one allowed, one not).

Everything is started once per session: the server costs ~14 s, the browser a second.
"""

from __future__ import annotations

import functools
import html
import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import DATA, REPO
from tests.live_server import LiveServer, running_server

ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
# Debian's Chromium, never a downloaded one; no background traffic that would muddy the request log.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:  # noqa: A002 - the stdlib's name
        pass


@dataclass
class HostSites:
    """Two static sites on two loopback ports, i.e. two origins, serving the same pages."""

    folder: Path
    allowed: str
    refused: str
    servers: list[http.server.ThreadingHTTPServer] = field(default_factory=list)

    def page(self, name: str, script_src: str, **data: str) -> str:
        """Write an intranet page that embeds the widget with ``data-*`` options; its path."""
        attributes = "".join(f' data-{key}="{html.escape(value)}"' for key, value in data.items())
        (self.folder / name).write_text(_HOST_PAGE.format(src=html.escape(script_src), attributes=attributes), encoding="utf-8")
        return f"/{name}"


_HOST_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Northwind intranet: staff handbook</title>
  <style>
    body {{ margin: 0; font: 17px/1.6 Georgia, serif; background: #f6f4ef; color: #222; }}
    header {{ background: #33415c; color: #fff; padding: 14px 40px; }}
    main {{ max-width: 720px; padding: 8px 40px; }}
    /* A host stylesheet that would repaint every button it can reach. */
    button {{ background: hotpink !important; border-radius: 0 !important; }}
  </style>
</head>
<body>
  <header><h1>Northwind staff handbook</h1></header>
  <main>
    <h2>Background reading</h2>
    <p>Our team briefs on the Japan-US security alliance are collected in the document library.
       Use the chat button in the corner to ask questions about them; every answer cites its source.</p>
    <p>Questions about the library itself go to the documentation desk.</p>
  </main>
  <script src="{src}" defer{attributes}></script>
</body>
</html>
"""


@pytest.fixture(scope="session")
def host_sites(tmp_path_factory) -> Iterator[HostSites]:
    folder = tmp_path_factory.mktemp("host-sites")
    servers = []
    for _ in range(2):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    allowed, refused = (f"http://127.0.0.1:{s.server_address[1]}" for s in servers)
    yield HostSites(folder, allowed, refused, servers)
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def server(served_data_dir, host_sites) -> Iterator[LiveServer]:
    """`citewise serve` that lets only the ``allowed`` host site embed it; no rate limit."""
    with running_server(served_data_dir, "--allow-origin", host_sites.allowed, "--rate-limit", "0") as live:
        yield live


@pytest.fixture(scope="session")
def gold() -> dict:
    """A question from the article's gold set, with the words its cited paragraph must hold."""
    return json.loads((DATA / "article_questions.jsonl").read_text(encoding="utf-8").splitlines()[0])


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Visit:
    """A fresh browser page, and every URL it (or any frame in it) requested."""

    page: object
    requested: list[str]

    def outside(self, *origins: str) -> list[str]:
        """Requested URLs whose origin is none of ``origins`` (data: URLs are local)."""
        local = tuple(f"{origin}/" for origin in origins)
        return [url for url in self.requested if not url.startswith(("data:", *local)) and url not in origins]

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def visit(browser) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    context.set_default_timeout(30_000)
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    yield Visit(page, requested)
    context.close()
