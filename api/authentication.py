"""`Authorization: Token <key>`: DRF's TokenAuthentication, its read of the token and its user by SQL composed once.

Every API call authenticates. DRF reads `Token.objects.select_related("user").get(key=key)`, and the ORM composing
that statement was about a fifth of the booking's Python CPU and as much of every other call's (#20, round 3's
profile). Here the same statement (the token joined to its user, by the key) is written once per database vendor
from the models' field lists (api.rows), and the user is cached on the token as `select_related` caches it. Same
answers: an unknown key is « Invalid token. », an inactive user « User inactive or deleted. » (DRF's own messages,
translated by DRF), the header's checks are DRF's own `authenticate`.
"""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from api.rows import Columns

_statements: dict[str, tuple[Columns, Columns, str]] = {}


def _statement() -> tuple[Columns, Columns, str]:
    found = _statements.get(connection.vendor)
    if found is None:
        from django.contrib.auth import get_user_model

        user_model = get_user_model()
        qn = connection.ops.quote_name
        token, user = Columns(Token, "t", connection), Columns(user_model, "u", connection)
        sql = (
            f"SELECT {token.sql}, {user.sql} FROM {qn(Token._meta.db_table)} t "
            f"JOIN {qn(user_model._meta.db_table)} u ON u.{qn(user_model._meta.pk.column)} = t.{qn('user_id')} "
            f"WHERE t.{qn(Token._meta.pk.column)} = %s"
        )
        found = _statements[connection.vendor] = (token, user, sql)
    return found


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key: str):
        token_columns, user_columns, sql = _statement()
        with connection.cursor() as cursor:
            cursor.execute(sql, [key])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        n = len(token_columns)
        token = token_columns.load(row[:n], connection)
        user = user_columns.load(row[n:], connection)
        token._state.fields_cache["user"] = user
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (user, token)
