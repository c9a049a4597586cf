"""The widget's routes: who may frame the chat, and what the files are served as."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from chat.settings import Settings
from chat.widget import embed_policy, widget_router


def client(**settings) -> TestClient:
    app = FastAPI()
    app.include_router(widget_router(Settings(**settings)))
    return TestClient(app)


def frame_ancestors(response) -> list[str]:
    directives = dict(d.strip().split(" ", 1) for d in response.headers["content-security-policy"].split(";"))
    return directives["frame-ancestors"].split()


def test_embed_may_be_framed_only_by_itself_by_default():
    response = client().get("/embed")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert frame_ancestors(response) == ["'self'"]


def test_embed_may_be_framed_by_the_allowed_origins():
    origins = ["http://intranet.example:8080", "https://wiki.example"]
    assert frame_ancestors(client(allow_origins=origins).get("/embed")) == ["'self'", *origins]


def test_embed_loads_and_connects_only_to_its_own_server():
    policy = client().get("/embed").headers["content-security-policy"]
    for directive in ("default-src 'none'", "script-src 'self'", "connect-src 'self'", "style-src 'self'"):
        assert directive in policy


NOT_ORIGINS = [
    "*",
    "http://a.example/path",
    "http://a.example; script-src *",
    "intranet.example",
    "http://a.example 'unsafe-inline'",
]


@pytest.mark.parametrize("origin", NOT_ORIGINS)
def test_anything_but_a_plain_origin_is_refused_with_its_value(origin):
    with pytest.raises(ValueError, match="Invalid allowed origin") as error:
        embed_policy([origin])
    assert repr(origin) in str(error.value)


@pytest.mark.parametrize(
    "path, kind", [("/widget.js", "text/javascript"), ("/embed.js", "text/javascript"), ("/embed.css", "text/css")]
)
def test_assets_are_served_with_their_type_and_not_sniffed(path, kind):
    response = client().get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(kind)
    assert response.headers["x-content-type-options"] == "nosniff"


def test_any_page_may_load_the_launcher_script():
    assert client().get("/widget.js").headers["cross-origin-resource-policy"] == "cross-origin"


def test_the_chat_references_only_files_the_router_serves():
    page = client().get("/embed").text
    served = client()
    for asset in ("embed.js", "embed.css"):
        assert f'"{asset}"' in page
        assert served.get(f"/{asset}").status_code == 200
