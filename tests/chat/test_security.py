"""Token and origin checks, in-process (the live server tests cover them over HTTP)."""

from __future__ import annotations

import pytest

from chat.security import (
    OriginError,
    TokenError,
    TrustedProxies,
    allowed_hosts,
    check_origin,
    check_token,
    host_allowed,
    token_matches,
)
from chat.settings import Settings


def test_no_token_configured_lets_everyone_in():
    check_token("", None)


@pytest.mark.parametrize("header", [None, "", "s3cret", "Basic s3cret", "Bearer s3cre", "Bearer s3cret2"])
def test_a_wrong_or_missing_token_is_refused(header):
    with pytest.raises(TokenError):
        check_token("s3cret", header)


def test_the_bearer_token_is_accepted():
    check_token("s3cret", "Bearer s3cret")
    check_token("s3cret", "bearer s3cret")


def test_origins_same_site_and_listed_pass_others_are_refused():
    check_origin([], None, "127.0.0.1:7860")
    check_origin([], "http://127.0.0.1:7860", "127.0.0.1:7860")
    check_origin(["http://intranet.example"], "http://intranet.example", "127.0.0.1:7860")
    with pytest.raises(OriginError, match="--allow-origin http://evil.example"):
        check_origin(["http://intranet.example"], "http://evil.example", "127.0.0.1:7860")
    with pytest.raises(OriginError):
        check_origin([], "null", "127.0.0.1:7860")


def test_a_non_ascii_token_is_compared_as_utf8_bytes():
    # Issue 14, point 9: Starlette decodes headers as Latin-1, so a UTF-8 token never matched.
    token = "clé-秘密"
    check_token(token, b"Bearer " + token.encode("utf-8"))
    check_token(token, ("Bearer " + token).encode("utf-8").decode("latin-1"))  # the header as Starlette's text
    with pytest.raises(TokenError):
        check_token(token, b"Bearer " + "clé".encode("latin-1"))
    assert token_matches(token, token), "a form field (the page's password) is text"


@pytest.mark.parametrize(
    "host, allowed",
    [
        ("127.0.0.1:7860", True), ("localhost:7860", True), ("[::1]:7860", True), ("LOCALHOST.", True),
        ("10.0.0.5:7860", True), ("chat.example:443", True), (None, True),
        ("rebind.evil.com:7860", False), ("localhost.evil.com", False), ("chat.example.evil.com", False),
    ],
)
def test_only_this_servers_host_names_are_answered(host, allowed):
    names = allowed_hosts(Settings(allow_hosts=["chat.example"]))
    assert host_allowed(host, names) is allowed


def test_forwarded_for_is_read_from_the_right_and_only_behind_a_trusted_proxy():
    proxies = TrustedProxies(["10.0.0.0/8"])
    assert proxies.client("192.0.2.1", ["203.0.113.9"]) == "192.0.2.1", "not from a proxy: the peer"
    assert proxies.client("10.0.0.2", ["203.0.113.9"]) == "203.0.113.9"
    assert proxies.client("10.0.0.2", ["6.6.6.6, 203.0.113.9, 10.0.0.3"]) == "203.0.113.9", "forged hops on the left"
    assert TrustedProxies([]).client("127.0.0.1", ["6.6.6.6"]) == "127.0.0.1", "none trusted by default, loopback neither"


@pytest.mark.parametrize("setting, message", [
    ({"trusted_proxies": ["not-an-ip"]}, "Invalid trusted proxy"),
    ({"allow_hosts": ["http://chat.example"]}, "Invalid allowed host"),
])
def test_bad_proxy_and_host_settings_are_named(setting, message):
    with pytest.raises(ValueError, match=message):
        Settings(**setting)
