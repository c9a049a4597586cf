"""One server for every way to ask: FastAPI for the JSON API and the widget, the Gradio page at ``/``."""

from __future__ import annotations

import logging
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
from fastapi import FastAPI  # noqa: E402

from chat.api import api_router  # noqa: E402
from chat.engine import Engine  # noqa: E402
from chat.feedback import FeedbackLog, feedback_path  # noqa: E402
from chat.http_errors import error_response, install_error_handlers  # noqa: E402
from chat.rate_limit import RateLimiter  # noqa: E402
from chat.security import BodyLimit, LoginLimit, SecurityHeaders, guard, install_cors  # noqa: E402
from chat.settings import Settings  # noqa: E402
from chat.ui import build_ui, page_options  # noqa: E402
from chat.widget import check_origins, widget_router  # noqa: E402
from index import Embedder, LazyEmbedder  # noqa: E402

log = logging.getLogger(__name__)


def create_app(engine: Engine, settings: Settings) -> FastAPI:
    """The whole server as one ASGI app.

    ``engine.index`` is read at each request, never cached here, so a new index
    version swapped into the engine serves the next question.

    Args:
        engine: Answers the questions.
        settings: The "Server" settings: origins, token, rate limit, limits, page text.

    Raises:
        ValueError: a setting the server cannot work with (a bad origin, a negative rate limit).
    """
    check_origins(settings.allow_origins)
    limiter = RateLimiter(settings.rate_limit)
    app = FastAPI(
        title="citewise",
        description="Answers from your documents, every sentence cited. Errors are "
        '`{"ok": false, "error": "<message>", "status": <code>}`.',
        version="1",
    )
    install_error_handlers(app)
    app.include_router(api_router(engine, guard(settings, limiter)))
    app.include_router(widget_router(settings))
    # Added last = outermost: CORS headers go on every answer, refusals included.
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_kb * 1024, refusal=error_response)
    app.add_middleware(LoginLimit, limiter=limiter, refusal=error_response)
    app.add_middleware(SecurityHeaders)
    install_cors(app, settings)
    page = build_ui(engine, settings, limiter, FeedbackLog(feedback_path(settings)))
    return gr.mount_gradio_app(app, page, path="/", **page_options(settings))


def run(settings: Settings, embedder: Embedder | LazyEmbedder | None = None) -> None:
    """Load the serving index (and the model, unless ``embedder`` is given), then serve until interrupted."""
    import uvicorn

    engine = Engine.from_settings(settings, embedder)
    app = create_app(engine, settings)  # first: a bad setting stops here, before any thread starts
    engine.follow_current(settings.reload_seconds)
    log.info(
        "serving http://%s:%s (origins allowed: %s; token: %s; rate limit: %s a minute per client)",
        settings.host,
        settings.port,
        ", ".join(settings.allow_origins) or "none",
        "required" if settings.token else "none",
        settings.rate_limit or "off",
    )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
