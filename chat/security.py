"""Deny by default: who may call the API (token, CORS), how often, and how much they may send."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chat.rate_limit import RateLimitedError, RateLimiter
from chat.settings import Settings

API_PREFIX = "/api/"


class TokenError(Exception):
    """The API needs a token and the request did not carry the right one."""


class OriginError(Exception):
    """A browser on a site not given with ``--allow-origin`` called the API."""


def client_of(request: Request) -> str:
    """Who is asking, for the rate limit: the peer address.

    Forwarded-for headers are not trusted: any client could set them to dodge the limit.
    """
    return request.client.host if request.client else "unknown"


def token_matches(given: str, expected: str) -> bool:
    # compare_digest: the time taken must not tell how much of a guess was right.
    return hmac.compare_digest(given.encode(), expected.encode())


def check_token(expected: str, authorization: str | None) -> None:
    """Accept ``Authorization: Bearer <expected>``; anything goes when no token is configured.

    Raises:
        TokenError: a token is configured and the header is missing or wrong.
    """
    if not expected:
        return
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token_matches(given.strip(), expected):
        raise TokenError("This API needs a token: send the header 'Authorization: Bearer <token>'.")


def check_origin(allowed: list[str], origin: str | None, host: str | None) -> None:
    """Let browsers call the API only from this server's own pages and from ``allowed`` origins.

    CORS alone only stops a browser from *reading* the answer; refusing here also stops
    the work (and a simple cross-site POST, which skips the preflight). Requests without
    an ``Origin`` header are not from a cross-site page (curl, scripts, servers).

    Raises:
        OriginError: ``origin`` is another site, not in ``allowed``.
    """
    if origin is None or origin in allowed or urlsplit(origin).netloc == host:
        return
    raise OriginError(f"Origin {origin!r} may not use this API; the server allows it with --allow-origin {origin}.")


def guard(settings: Settings, limiter: RateLimiter):
    """A FastAPI dependency for API routes: count the request, then check origin and token.

    Counting first means refused requests and failed token guesses are rate limited too.
    """

    def dependency(request: Request) -> None:
        limiter.check(client_of(request))
        check_origin(settings.allow_origins, request.headers.get("origin"), request.headers.get("host"))
        check_token(settings.token, request.headers.get("authorization"))

    return dependency


def install_cors(app: FastAPI, settings: Settings) -> None:
    """Allow cross-origin calls only from ``settings.allow_origins`` (none by default).

    Always installed, even with no origins: Gradio then leaves CORS to us instead of
    adding its own, more permissive policy for localhost.
    """
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.allow_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
        max_age=600,
    )


class BodyLimit:
    """ASGI middleware: refuse an API request body over ``max_bytes`` before anything parses it.

    The body is read here (it is small by construction) and handed on whole; a declared
    or actual size over the limit is answered with ``refusal(413, message)``.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, refusal: Callable[[int, str], Response]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.refusal = refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
        await self.app(scope, _replay(body, receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = self.refusal(413, f"The request body is over the limit of {self.max_bytes // 1024} KiB.")
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


class LoginLimit:
    """ASGI middleware: count the page's password tries (Gradio's ``POST /login``, where the
    token is the password) against the per-client rate limit, as API token guesses are."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, refusal: Callable[..., Response]) -> None:
        self.app = app
        self.limiter = limiter
        self.refusal = refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"].rstrip("/") == "/login":
            client = scope.get("client")
            try:
                self.limiter.check(client[0] if client else "unknown")
            except RateLimitedError as error:
                response = self.refusal(429, str(error), {"Retry-After": str(error.retry_after)})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """ASGI middleware: no MIME sniffing, and no framing by other sites unless a route says otherwise.

    A response that sets its own ``Content-Security-Policy`` (the widget's ``/embed``) keeps it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", b"frame-ancestors 'self'"))
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
