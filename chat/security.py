"""Deny by default: who may call the API (token, CORS), how often, and how much they may send."""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chat.errors import HostError, OriginError, RequestTooLargeError, TokenError
from chat.http_errors import error_response_for
from chat.rate_limit import RateLimiter
from chat.settings import Settings
from chat.source_links import ORIGINAL_PREFIX, SOURCE_PREFIX
from ingest import CitewiseError

log = logging.getLogger(__name__)

# The JSON APIs: ours, and the OpenAI-compatible one (chat.openai_api) that chat clients use.
API_PREFIXES = ("/api/", "/v1/")


def token_matches(given: str | bytes, expected: str) -> bool:
    """Whether ``given`` is the token, as text (a form field) or as a header's raw bytes (UTF-8).

    HTTP headers arrive as bytes that Starlette decodes as Latin-1; comparing their bytes
    with the token's UTF-8 lets a non-ASCII token work.
    """
    given_bytes = given if isinstance(given, bytes) else given.encode("utf-8", "surrogatepass")
    # compare_digest: the time taken must not tell how much of a guess was right.
    return hmac.compare_digest(given_bytes, expected.encode("utf-8"))


def check_token(expected: str, authorization: str | bytes | None) -> None:
    """Accept ``Authorization: Bearer <expected>``; anything goes when no token is configured.

    Args:
        expected: The configured token; empty for none.
        authorization: The header, as raw bytes (best: compared as UTF-8) or as Starlette's
            Latin-1 text (turned back into its bytes).

    Raises:
        TokenError: a token is configured and the header is missing or wrong.
    """
    if not expected:
        return
    raw = authorization.encode("latin-1", "replace") if isinstance(authorization, str) else authorization or b""
    scheme, _, given = raw.partition(b" ")
    if scheme.lower() != b"bearer" or not token_matches(given.strip(), expected):
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


PAGE_API = "/gradio_api/"  # the prefix of Gradio's own routes (gradio.route_utils.API_PREFIX)
# Routes whose POST does work: the rate limit counts each one before anything reads its body.
_COUNTED = (*API_PREFIXES, PAGE_API + "call/", "/login")
# A page question queues several events (the answer, then cheap steps such as enabling the text
# box again): those that ask the engine or vote are counted as requests, once the (capped) body says
# which; the cheap steps in a budget of PAGE_STEPS_PER_REQUEST times the limit, since one question
# runs about eight of them, and a flood of them would otherwise fill Gradio's session memory.
_QUEUE_JOIN = PAGE_API + "queue/join"
_PAGE_CALL = PAGE_API + "call/"
PAGE_STEPS_PER_REQUEST = 10
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Routes whose GET shows documents (chat.source_view): counted and locked by the token like a question.
_DOCUMENT_ROUTES = (SOURCE_PREFIX, ORIGINAL_PREFIX)
_FORWARDED = {b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"x-forwarded-port", b"forwarded"}
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
_ANY_ADDRESS = {"", "0.0.0.0", "::"}


def host_name(host: str) -> str:
    """The name in a ``Host`` header: lower case, without port, brackets or a trailing dot."""
    host = host.strip().lower()
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else host[1:]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def allowed_hosts(settings: Settings) -> set[str]:
    """The names a ``Host`` header may carry: the bind host, the loopback names and ``allow_hosts``."""
    names = set(_LOOPBACK_NAMES) | {host_name(host) for host in settings.allow_hosts}
    if host_name(settings.host) not in _ANY_ADDRESS:
        names.add(host_name(settings.host))
    return names


def host_allowed(host: str | None, allowed: set[str]) -> bool:
    """Whether a request for ``host`` is for this server and not a DNS-rebinding page.

    A rebinding page reaches the server under the attacker's own name, so only names the
    operator gave pass; an IP address is always fine (no DNS, so nothing to rebind), and so
    is a request with no ``Host`` at all (HTTP/1.0: not a browser).
    """
    if host is None or "*" in allowed:
        return True
    name = host_name(host)
    return name in allowed or _is_address(name)


class TrustedProxies:
    """Who the client is when requests come through proxies the operator named (``--trusted-proxy``).

    Args:
        proxies: IP addresses or networks; empty trusts none.
    """

    def __init__(self, proxies: list[str]) -> None:
        self.networks = [ipaddress.ip_network(proxy, strict=False) for proxy in proxies]

    def trusts(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def client(self, peer: str, forwarded_for: list[str]) -> str:
        """The client behind ``peer``: the last ``X-Forwarded-For`` hop no trusted proxy wrote.

        Read from the right: each trusted proxy appends the address it got the request from,
        so everything left of the first untrusted hop may be made up by the client.
        """
        if not self.trusts(peer):
            return peer
        hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self.trusts(hop):
                return hop
        return hops[0] if hops else peer


class RequestGuard:
    """ASGI middleware: one gate in front of every route, the page's (Gradio's) included.

    In this order, each before anything reads the request body:

    1. who the client is: the peer address, or what a trusted proxy forwarded; forwarded
       headers from anyone else are dropped, so neither we nor Gradio believe them;
    2. the ``Host`` is one of this server's names (DNS rebinding), else 400;
    3. a POST that does work (``/api/``, ``/v1/``, Gradio's ``queue/join`` and ``call/``, ``/login``)
       counts against the client's rate limit, else 429; refusals below are counted too; the page's
       cheap steps count in their own, larger budget;
    4. a request carrying another site's ``Origin`` may not change anything, else 403;
    5. with a token, every POST but ``/login`` carries it: ``Authorization: Bearer`` on the
       API, a page session signed in with it (Gradio's login cookie) on the page's routes; else 401;
       a GET of a document (``/source/``, ``/original/``) is counted like a question and needs either;
    6. the body is at most ``max_request_kb`` (API) or ``max_page_request_kb`` (everything
       else): a larger ``Content-Length`` is refused at once and a chunked body is counted as
       it arrives, else 413; a page event whose text box holds more than a question's
       ``max_question_chars`` is refused with 413 too. The body is then handed on whole.

    Args:
        app: The app behind the guard.
        settings: Token, origins, hosts, proxies and size caps.
        limiter: The per-client rate limit.
        page_session: Whether the request's cookies hold a signed-in page session.
        page_event_works: Whether a page event (the route after ``/gradio_api/`` and the body)
            does work the rate limit counts; raises ``QuestionTooLongError``
            for an oversized text box. The cheap steps Gradio chains after an answer go in their
            own budget, so that a refused question does not leave the page waiting on a refused
            "enable the text box".
    """

    def __init__(
        self,
        app: ASGIApp,
        settings: Settings,
        limiter: RateLimiter,
        page_session: Callable[[dict[str, str]], bool] = lambda _cookies: False,
        page_event_works: Callable[[str, bytes], bool] = lambda _route, _body: True,
    ) -> None:
        self.app = app
        self.settings = settings
        self.limiter = limiter
        self.page_session = page_session
        self.page_event_works = page_event_works
        self.step_limiter = RateLimiter(limiter.per_minute * PAGE_STEPS_PER_REQUEST)
        self.proxies = TrustedProxies(settings.trusted_proxies)
        self.hosts = allowed_hosts(settings)
        self.api_bytes = settings.max_request_kb * 1024
        self.page_bytes = settings.max_page_request_kb * 1024

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope = self._identify(scope)
        headers = Headers(scope=scope)
        if not host_allowed(headers.get("host"), self.hosts):
            name = host_name(headers.get("host", ""))
            message = f"This server does not answer to the host name {name!r}; its operator allows it with --allow-host {name}."
            await self._refuse(scope, receive, send, HostError(message))
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        try:
            if method == "POST" and path.startswith(_COUNTED):
                self.limiter.check(scope["client"][0])
            if method in ("GET", "HEAD") and path.startswith(_DOCUMENT_ROUTES):
                self.limiter.check(scope["client"][0])
                if self.settings.token:
                    self._check_document_token(scope, headers)
            if method not in _SAFE_METHODS:
                check_origin(self.settings.allow_origins, headers.get("origin"), headers.get("host"))
                if self.settings.token and path.rstrip("/") != "/login":
                    self._check_token(scope, headers, on_page=not path.startswith(API_PREFIXES))
        except CitewiseError as error:  # a refusal: rate limit, origin or token
            await self._refuse(scope, receive, send, error)
            return
        if "content-length" not in headers and "transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body
            return
        limit = self.api_bytes if path.startswith(API_PREFIXES) else self.page_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._too_large(scope, receive, send, limit)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._too_large(scope, receive, send, limit)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if method == "POST" and path.startswith((_QUEUE_JOIN, _PAGE_CALL)):
            try:
                self._check_page_event(scope["client"][0], path, body)
            except CitewiseError as error:
                await self._refuse(scope, receive, send, error)
                return
        await self.app(scope, _replay(body, receive), send)

    def _check_page_event(self, client: str, path: str, body: bytes) -> None:
        works = self.page_event_works(path.removeprefix(PAGE_API), body)
        if path == _QUEUE_JOIN:  # a call/ was counted as a request before its body was read
            (self.limiter if works else self.step_limiter).check(client)

    def _identify(self, scope: Scope) -> Scope:
        peer, port = scope.get("client") or ("unknown", 0)
        raw = scope.get("headers", [])
        if not self.proxies.trusts(peer):
            # Dropped, not just ignored: Gradio reads X-Forwarded-Host/-Proto for its own URLs.
            return {**scope, "headers": [(k, v) for k, v in raw if k.lower() not in _FORWARDED]}
        forwarded_for = [v.decode("latin-1") for k, v in raw if k.lower() == b"x-forwarded-for"]
        client = self.proxies.client(peer, forwarded_for)
        scope = {**scope, "client": (client, port if client == peer else 0)}
        proto = next((v.decode("latin-1").split(",")[0].strip().lower() for k, v in raw if k.lower() == b"x-forwarded-proto"), "")
        if proto in ("http", "https", "ws", "wss"):
            secure = proto in ("https", "wss")
            scope["scheme"] = ("wss" if secure else "ws") if scope["type"] == "websocket" else ("https" if secure else "http")
        return scope

    def _check_token(self, scope: Scope, headers: Headers, on_page: bool) -> None:
        if not on_page:
            check_token(self.settings.token, _raw_header(scope, b"authorization"))
        elif not self.page_session(_cookies(headers)):
            # Gradio knows only its own sessions, so a Bearer token would not get further anyway.
            raise TokenError("The chat page needs the token: sign in at / with it as the password (any user name).")

    def _check_document_token(self, scope: Scope, headers: Headers) -> None:
        """A document is shown to a signed-in page session, or to a request with the API's Bearer token."""
        if "authorization" in headers:
            check_token(self.settings.token, _raw_header(scope, b"authorization"))
        elif not self.page_session(_cookies(headers)):
            raise TokenError("The documents need the token: sign in at / with it (any user name), or send 'Authorization: Bearer <token>'.")

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        if scope["path"].startswith(API_PREFIXES):
            message = f"The request body is over the limit of {limit // 1024} KiB."
        else:
            message = f"The request is over the page's limit of {limit // 1024} KiB: clear the chat to go on."
        await self._refuse(scope, receive, send, RequestTooLargeError(message))

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, error: CitewiseError) -> None:
        client = (scope.get("client") or ("unknown",))[0]
        log.warning("refused %s %s from %s: %d %s", scope.get("method", "WEBSOCKET"), scope["path"], client, error.status, error)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": str(error)[:120]})
            return
        await error_response_for(error)(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _raw_header(scope: Scope, name: bytes) -> bytes | None:
    return next((value for key, value in scope.get("headers", []) if key.lower() == name), None)


def _cookies(headers: Headers) -> dict[str, str]:
    return cookie_parser(headers.get("cookie", ""))


def page_sessions(gradio_app) -> Callable[[dict[str, str]], bool]:
    """Whether cookies hold a session the page's login (Gradio's ``/login``) handed out.

    Gradio keeps its sessions in ``app.tokens`` under the ``access-token[-unsecure]-<cookie_id>`` cookies.
    """

    def signed_in(cookies: dict[str, str]) -> bool:
        names = (f"access-token-{gradio_app.cookie_id}", f"access-token-unsecure-{gradio_app.cookie_id}")
        return any(cookies.get(name) in gradio_app.tokens for name in names if cookies.get(name))

    return signed_in

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
