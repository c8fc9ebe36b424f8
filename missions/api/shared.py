"""What several resources of the missions API share: the reason of a refusal, and the access log of lists
that show doctors' identities."""

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.audit import record_bulk_read


def audited(request: Request, response: Response, object_type: str) -> Response:
    """A list that shows doctors' identities leaves one row in the access log (who, path, query, how many)."""
    if response.status_code == 200:
        data = response.data
        rows = data.get("results", ()) if isinstance(data, dict) else data
        record_bulk_read(request, object_type=object_type, count=len(rows))
    return response


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=True, default="")
