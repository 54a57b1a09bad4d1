"""Access tokens: a checked signature is remembered (every open app sends the same token for
minutes), but expiry, tampering and the secret are still judged on every use."""

from __future__ import annotations

import time
import uuid

import pytest

from server.accounts.security import TokenError, issue_access_token, read_access_token

SECRET = "test-secret-" + "s" * 40


def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    user, device = uuid.uuid4(), uuid.uuid4()
    token = issue_access_token(SECRET, user, device, 60)
    claims = read_access_token(SECRET, token)
    assert (claims.user_id, claims.device_id) == (user, device)
    assert read_access_token(SECRET, token) == claims  # remembered: same answer

    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(TokenError) as refused:
        read_access_token(SECRET, token)
    assert refused.value.code == "token_expired"


def test_an_expired_token_is_refused_the_first_time_too() -> None:
    token = issue_access_token(SECRET, uuid.uuid4(), uuid.uuid4(), -5)
    with pytest.raises(TokenError) as refused:
        read_access_token(SECRET, token)
    assert refused.value.code == "token_expired"


def test_tampered_tokens_and_other_secrets_are_refused_even_after_a_good_one() -> None:
    token = issue_access_token(SECRET, uuid.uuid4(), uuid.uuid4(), 60)
    read_access_token(SECRET, token)
    head, body, signature = token.split(".")
    flipped = signature[:10] + ("B" if signature[10] == "A" else "A") + signature[11:]
    for bad in (f"{head}.{body}.{flipped}", token + "x", "", "not-a-token"):
        with pytest.raises(TokenError) as refused:
            read_access_token(SECRET, bad)
        assert refused.value.code == "invalid_token"
    with pytest.raises(TokenError) as refused:
        read_access_token("another-secret-" + "o" * 40, token)
    assert refused.value.code == "invalid_token"
