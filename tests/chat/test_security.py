"""Token and origin checks, in-process (the live server tests cover them over HTTP)."""

from __future__ import annotations

import pytest

from chat.security import OriginError, TokenError, check_origin, check_token


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
