"""django-simple-history's person acting, set on one object before its save."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser  # core imports no app (accounts.User is one)


def set_history_user(obj: models.Model, by: AbstractBaseUser | None) -> None:
    """The next historical version of `obj` records `by` (None: a job, or nobody signed in)."""
    # simple-history reads this attribute, set per instance; no model declares it, so the stubs cannot know it.
    obj._history_user = by  # type: ignore[attr-defined]
