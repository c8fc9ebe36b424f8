"""Ending a person's access: every open session and every API token, at once.

Sessions are not looked up one by one (the session store has no index by user): each carries an HMAC of the
user's password hash and `session_epoch` (accounts.models.User), so moving the epoch ends them all at their next
request. Tokens are rows, deleted.
"""

from django.db.models import F


def delete_api_tokens(user) -> int:
    from rest_framework.authtoken.models import Token

    deleted, _ = Token.objects.filter(user_id=user.pk).delete()
    return deleted


def revoke_credentials(user) -> None:
    """End every session and delete every API token of `user` (suspension, closure; a password change does it
    through User.save)."""
    type(user).objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])
    delete_api_tokens(user)
