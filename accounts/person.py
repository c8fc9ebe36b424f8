"""The person acting, as the services take them (`by: User`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.models import User

if TYPE_CHECKING:
    from django.http import HttpRequest
    from rest_framework.request import Request


def signed_in(request: HttpRequest | Request) -> User:
    """The person of a request that its door (login_required, a space's decorator, a DRF permission) let through
    only signed in: Django and DRF type `request.user` as a User or an AnonymousUser, and only the first passes."""
    user = request.user
    assert isinstance(user, User), "called behind a door that requires a signed-in person"
    return user
