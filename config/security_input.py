"""Input refused at the door, before any view reads it: oversized bodies (413) and JSON that is malformed or holds
text no database can store (400). Both answer in French; the API in its own shapes.

Kept apart from config/security.py, which settings.py imports before Django is set up.
"""

import io
import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings

MALFORMED_JSON = (
    "Le corps de la requête n'est pas un JSON valide : vérifiez sa syntaxe (guillemets, virgules, accolades)."
)
INVALID_TEXT = (
    "Le texte envoyé contient un caractère Unicode invalide (demi-paire de substitution isolée) : "
    "envoyez du texte encodé en UTF-8."
)
TOO_DEEP = (
    "Le corps de la requête est un JSON trop imbriqué : {depth} niveaux de crochets ou d'accolades au plus sont "
    "acceptés."
)
# Our payloads nest two or three levels; Python's json module recurses once per level and blows the stack (a
# RecursionError, a 500) somewhere below a thousand.
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")
BODY_TOO_LARGE = "Requête trop volumineuse : {size} au plus sont acceptés."


def _has_lone_surrogate(value) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def json_too_deep(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether `raw` opens more than `limit` nested arrays or objects, brackets inside strings aside. Linear, with
    no recursion: it runs before the parser, which would recurse once per level."""
    depth = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub(b'""', raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


class StrictJSONParser(JSONParser):
    """DRF's JSON parser, answering in French in the API's 400 shape (`{"non_field_errors": [...]}`), refusing
    text no database can store (a JSON `\\ud800` escape decodes to a lone surrogate: a 500 on insert otherwise)
    and nesting deeper than MAX_JSON_DEPTH (checked before parsing, which would exhaust the stack)."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""  # at most DATA_UPLOAD_MAX_MEMORY_SIZE (middleware)
        if json_too_deep(raw):
            raise ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [TOO_DEEP.format(depth=MAX_JSON_DEPTH)]})
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except ParseError as exc:
            raise ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [MALFORMED_JSON]}) from exc
        if _has_lone_surrogate(data):
            raise ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [INVALID_TEXT]})
        return data


def _human_size(size: int) -> str:
    return f"{size // (1024 * 1024)} Mo" if size >= 1024 * 1024 else f"{size // 1024} Ko"


class BodySizeLimitMiddleware:
    """Refuses a request body larger than `DATA_UPLOAD_MAX_MEMORY_SIZE` before anything reads it (413, in French).

    Django applies that limit to forms only; DRF's parsers read the raw stream and would load any size in memory.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            message = BODY_TOO_LARGE.format(size=_human_size(limit))
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "payload_too_large", "detail": message}, status=413)
            return render(request, "security/too_large.html", {"message": message}, status=413)
        return self.get_response(request)


BAD_QUERY_TEXT = (
    "L'adresse demandée contient un caractère interdit (caractère nul ou Unicode invalide) dans ses paramètres : "
    "corrigez-la et réessayez."
)
BAD_PATH_TEXT = "Page introuvable : l'adresse demandée contient un caractère interdit."


def _unstorable(text: str) -> bool:
    """NUL (which PostgreSQL refuses in text) or a lone surrogate (which no database stores)."""
    return "\x00" in text or _has_lone_surrogate(text)


class BadCharactersMiddleware:
    """Refuses, before any view runs, a path or query string holding NUL or a lone surrogate: the database would
    raise on the lookup (a 500). A path is a 404 (no such page can exist); a query parameter a 400. In French:
    a page, or the API's JSON shapes under /api/. Bodies are the parsers' business (StrictJSONParser)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = request.path.startswith("/api/")
        if _unstorable(request.path) or _unstorable(request.path_info):
            if api:
                return JsonResponse({"detail": BAD_PATH_TEXT}, status=404)
            return render(request, "404.html", status=404)
        bad = [key for key, values in request.GET.lists() if _unstorable(key) or any(_unstorable(v) for v in values)]
        if bad:
            if api:  # the API's 400 shape: parameter → messages
                field = bad[0] if not _unstorable(bad[0]) else api_settings.NON_FIELD_ERRORS_KEY
                return JsonResponse({field: [BAD_QUERY_TEXT]}, status=400)
            return render(request, "security/bad_request.html", {"message": BAD_QUERY_TEXT}, status=400)
        return self.get_response(request)
