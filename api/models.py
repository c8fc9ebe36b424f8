"""What the API keeps for itself: the first responses of idempotent requests (api.idempotency)."""

from django.conf import settings
from django.db import models

KEY_MAX_LENGTH = 200


class IdempotentRequest(models.Model):
    """The first response to a `POST` carrying an `Idempotency-Key`, replayed for the same key and body."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=KEY_MAX_LENGTH)
    scope = models.CharField(max_length=100)
    body_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "missions_idempotentrequest"  # the table it has had since missions 0001: moved without a copy
        verbose_name = "requête idempotente"
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotentrequest_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"
