"""Running the real settings module in production mode, in a child process (settings are read once per process)."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from csp.constants import NONCE

ROOT = Path(__file__).resolve().parents[2]

# The settings a security review looks at; read from the real module in production mode.
SECURITY_SETTINGS = [
    "DEBUG",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_REFERRER_POLICY",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_AGE",
    "SESSION_EXPIRE_AT_BROWSER_CLOSE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "X_FRAME_OPTIONS",
    "OTP_REQUIRED",
    "AXES_ENABLED",
]


def production_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEBUG", "OTP_", "SQLITE_"))}
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="medecin.example.fr",
        # Parsed, never connected to: `check --deploy` needs no database (port 1 is closed on purpose).
        DATABASE_URL="postgres://medecin:medecin@127.0.0.1:1/medecin",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    env.pop("TEST_DATABASE_NAME", None)
    env.update(overrides)
    return env


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


NONCE_MARK = "<csp-nonce>"


def production_settings() -> dict:
    """The security settings, Content-Security-Policy included, as the production settings module computes them."""
    code = (
        "import json, django; from django.conf import settings; from csp.constants import NONCE; django.setup(); "
        f"values = {{name: getattr(settings, name) for name in {SECURITY_SETTINGS!r}}}; "
        "values['CONTENT_SECURITY_POLICY'] = settings.CONTENT_SECURITY_POLICY; "
        f"print(json.dumps(values, default=lambda o: {NONCE_MARK!r} if o is NONCE else list(o)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=production_env(), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    if values["SECURE_PROXY_SSL_HEADER"] is not None:
        values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    for name, sources in values["CONTENT_SECURITY_POLICY"]["DIRECTIVES"].items():
        if isinstance(sources, list):
            values["CONTENT_SECURITY_POLICY"]["DIRECTIVES"][name] = [NONCE if s == NONCE_MARK else s for s in sources]
    return values
