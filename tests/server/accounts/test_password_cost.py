"""Password hashing cost: strong by default, cheap only when the test suite asks for it.

The suite sets DOORSTEP_ARGON2_PROFILE=test (tests/conftest.py) so that hundreds of logins stay
cheap; nothing may make that the default a production process gets.
"""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, extract_parameters, profiles

from server.accounts import security
from server.settings import ConfigError, get_settings, load_settings


def test_production_default_is_rfc_9106_low_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOORSTEP_ARGON2_PROFILE", raising=False)
    profile = load_settings().argon2_profile
    assert profile == "production"
    encoded = security.password_hasher(profile).hash("doorstep-demo")
    assert extract_parameters(encoded) == profiles.RFC_9106_LOW_MEMORY
    # the same as argon2-cffi's own default, 64 MiB and 3 passes
    default = PasswordHasher()
    assert (default.memory_cost, default.time_cost) == (65536, 3)
    assert extract_parameters(encoded).memory_cost == default.memory_cost


def test_the_suite_hashes_with_the_test_profile() -> None:
    assert get_settings().argon2_profile == "test"
    encoded = security.hash_password("doorstep-demo")
    assert extract_parameters(encoded) == profiles.CHEAPEST
    assert security.verify_password(encoded, "doorstep-demo")
    assert not security.verify_password(encoded, "wrong")


def test_a_strong_hash_still_verifies_under_the_test_profile() -> None:
    """argon2 reads the cost from the stored hash, so switching profiles locks no one out."""
    strong = security.password_hasher("production").hash("doorstep-demo")
    assert security.verify_password(strong, "doorstep-demo")
    assert not security.verify_password(strong, "wrong")


def test_an_unknown_profile_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOORSTEP_ARGON2_PROFILE", "fast")
    with pytest.raises(ConfigError, match="DOORSTEP_ARGON2_PROFILE"):
        load_settings()
