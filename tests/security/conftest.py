"""Fixtures of the security tests."""

import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """These tests log in often: a cheap hasher keeps them quick (no test here is about the hash itself)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
