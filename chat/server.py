"""One server for every way to ask: FastAPI for the JSON API and the widget, the Gradio page at ``/``."""

from __future__ import annotations

import logging
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr
from fastapi import FastAPI
from gradio.routes import App as GradioApp
from starlette.routing import Mount

from chat.api import api_router, docs_router
from chat.engine import Engine
from chat.feedback import FeedbackLog, feedback_path
from chat.http_errors import install_error_handlers
from chat.openai_api import openai_router
from chat.rate_limit import RateLimiter
from chat.security import RequestGuard, SecurityHeaders, install_cors, page_sessions
from chat.settings import Settings
from chat.source_view import source_router
from chat.ui import PageEvents, build_ui, page_options
from chat.widget import check_origins, widget_router
from index import Embedder, LazyEmbedder

log = logging.getLogger(__name__)

PAGE_QUEUE_SIZE = 100


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
        # FastAPI's /docs and /redoc load their scripts from a CDN; ours is self-contained.
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    app.include_router(api_router(engine))
    app.include_router(openai_router(engine))
    app.include_router(docs_router(app))
    app.include_router(widget_router(settings))
    app.include_router(source_router(engine, settings))
    page_app: list = []  # Gradio's app, once mounted: it holds the page's login sessions
    page_events: list = []  # what the page's events are, once the page is built
    # Added last = outermost: CORS headers go on every answer, refusals included.
    app.add_middleware(
        RequestGuard,
        settings=settings,
        limiter=limiter,
        page_session=lambda cookies: bool(page_app) and page_sessions(page_app[0])(cookies),
        page_event_works=lambda route, body: page_events[0].does_work(route, body) if page_events else True,
    )
    app.add_middleware(SecurityHeaders)
    install_cors(app, settings)
    page = build_ui(engine, settings, FeedbackLog(feedback_path(settings), settings.feedback_max_kb * 1024))
    page_events.append(PageEvents(page, settings.max_question_chars))
    # api_open=False: the page's answer and vote functions run only through the queue, whose
    # join the guard counts (Gradio's default lets POST /gradio_api/run/chat skip it);
    # max_size bounds what waiting events can hold, whatever the number of clients.
    page.queue(api_open=False, max_size=PAGE_QUEUE_SIZE)
    page.state_session_capacity = settings.page_sessions  # Gradio's default keeps 10,000 sessions' state
    mounted = gr.mount_gradio_app(app, page, path="/", **page_options(settings))
    page_app.extend(route.app for route in mounted.routes if isinstance(route, Mount) and isinstance(route.app, GradioApp))
    return mounted


# Seconds a stop (Ctrl-C, SIGTERM) waits for requests in flight. Every open chat page holds a connection (Gradio's
# heartbeat stream) that never ends by itself: without a bound, one browser tab kept the server from stopping at all.
SHUTDOWN_GRACE_SECONDS = 5


def uvicorn_options(settings: Settings) -> dict:
    """How uvicorn serves: its own proxy-header handling off (it would trust X-Forwarded-For
    from 127.0.0.1 by default; ``RequestGuard`` believes only ``trusted_proxies``), and a stop
    that waits ``SHUTDOWN_GRACE_SECONDS`` at most for open connections."""
    return {"host": settings.host, "port": settings.port, "log_level": "info", "proxy_headers": False, "forwarded_allow_ips": "",
            "timeout_graceful_shutdown": SHUTDOWN_GRACE_SECONDS}


def run(settings: Settings, embedder: Embedder | LazyEmbedder | None = None) -> None:
    """Load the serving index (and the model, unless ``embedder`` is given), then serve until interrupted."""
    import uvicorn

    engine = Engine.from_settings(settings, embedder)
    app = create_app(engine, settings)  # first: a bad setting stops here, before any thread starts
    engine.follow_current(settings.reload_seconds)
    log.info(
        "serving http://%s:%s (origins allowed: %s; token: %s; rate limit: %s a minute per client; "
        "trusted proxies: %s; extra host names: %s)",
        settings.host,
        settings.port,
        ", ".join(settings.allow_origins) or "none",
        "required" if settings.token else "none",
        settings.rate_limit or "off",
        ", ".join(settings.trusted_proxies) or "none",
        ", ".join(settings.allow_hosts) or "none",
    )
    uvicorn.run(app, **uvicorn_options(settings))
