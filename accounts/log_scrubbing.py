"""A logging filter that keeps secrets out of every log line.

Attached to our console handler (settings.LOGGING), through which every logger of the product and of Django
goes. It rewrites the formatted message of each record: values of password, token, secret and session fields
(`password=…`, `"token": "…"`), `Authorization` headers, and the secret parts of URLs (password-reset links,
the iCal feed) become `[masqué]`. Request bodies are never logged by our code; a record's `request` attribute
is dropped so that no formatter or handler can dump it.
"""

import logging
import re

MASK = "[masqué]"

_SECRET_KEYS = (
    r"password\d?|passwd|pwd|mot_de_passe|new_password\d?|old_password|secret|api[_-]?key|access[_-]?token|"
    r"refresh[_-]?token|token|otp_token|csrfmiddlewaretoken|csrftoken|sessionid|ical_token"
)
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Authorization: Token abc / Bearer abc / Basic abc (header dumps, repr of META)
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(token|bearer|basic)?\s*[^\s'\",}]+"), rf"\1\2 {MASK}"),
    (re.compile(r"(?i)(HTTP_AUTHORIZATION['\"]?\s*[:=]\s*['\"]?)[^'\"\n,}]+"), rf"\1{MASK}"),
    # "password": "x"  /  'token': 'x'  (JSON, dict reprs)
    (re.compile(rf"(?i)(['\"](?:{_SECRET_KEYS})['\"]\s*:\s*)(['\"])(?:\\.|(?!\2).)*\2"), rf"\1\2{MASK}\2"),
    # password=x&...  /  token: x  (form bodies, query strings, free text)
    (re.compile(rf"(?i)\b((?:{_SECRET_KEYS})\s*[=:]\s*)(?!\[masqué\])[^\s&'\",;]+"), rf"\1{MASK}"),
    # Password-reset links: /mot-de-passe/nouveau/<uidb64>/<token>/ (and Django's default /reset/<uid>/<token>/)
    (re.compile(r"(/(?:mot-de-passe/nouveau|reset)/[^/\s]+/)[^/\s]+"), rf"\1{MASK}"),
    # Pro Santé Connect's return carries a one-time authorization code and the state in its query string.
    (re.compile(r"(/pro-sante-connect/retour/\?)[^\s'\"]+"), rf"\1{MASK}"),
    # The iCal feed and the invitation links carry a bearer token in their path.
    (re.compile(r"(/(?:calendrier|invitation)/)[A-Za-z0-9_\-]{16,}"), rf"\1{MASK}"),
    # The Démarches Simplifiées webhook's URL ends with its secret.
    (re.compile(r"(/webhooks/demarches-simplifiees/)[^/\s?\"']+"), rf"\1{MASK}"),
]


def scrub(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class ScrubSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = str(record.msg)
        cleaned = scrub(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        if hasattr(record, "request"):
            record.request = None
        return True
