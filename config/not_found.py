"""In development (DEBUG), an unknown address shows our « Page introuvable », not Django's English page that lists
every route: `make run` keeps DEBUG for its tracebacks, but the 404 people see is the one production shows."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class OwnNotFoundMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 404 and response.get("Content-Type", "").startswith("text/html"):
            return render(request, "404.html", status=404)
        return response
