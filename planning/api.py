"""API v1 of monthly plans (ARS staff of the region): propose one, read them with their lines, send one.

`POST /api/v1/plans/ {"region": id, "month": "2027-01"}` proposes (a draft to review: nothing is sent);
`GET /api/v1/plans/` and `/{id}/` read them (the region's only: 404 otherwise); `POST /{id}/send/` sends the
proposals (each doctor one message). Who may is accounts.authority; the rules are planning.services.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.authority import offered, visible
from accounts.person import signed_in
from api.errors import conflict
from api.permissions import IsArsStaff
from billing.api import MONTH_HELP, parse_month
from planning import services
from planning.models import Plan, PlanLine
from sites.models import Region


class PlanLineSerializer(serializers.ModelSerializer):
    """Un médecin proposé pour un créneau."""

    date = serializers.DateField(source="slot.date", read_only=True)
    period = serializers.CharField(source="slot.period", read_only=True)
    zone = serializers.IntegerField(source="slot.zone_id", read_only=True)
    site = serializers.IntegerField(source="slot.site_id", read_only=True)

    class Meta:
        model = PlanLine
        fields = ["id", "slot", "doctor", "date", "period", "zone", "site", "status", "reason"]
        read_only_fields = fields


class PlanSerializer(serializers.ModelSerializer):
    """Un planning mensuel d'une région. `figures` : en demi-journées par zone (objectif, déjà réservé, proposé,
    encore manquant), totaux, temps de résolution, et les mêmes chiffres pour la méthode « premier arrivé »."""

    month = serializers.SerializerMethodField()
    lines = PlanLineSerializer(many=True, read_only=True)

    class Meta:
        model = Plan
        fields = ["id", "region", "month", "status", "solver", "figures", "created_at", "sent_at", "lines"]
        read_only_fields = fields

    def get_month(self, plan: Plan) -> str:
        return f"{plan.month:%Y-%m}"


class ProposeSerializer(serializers.Serializer):
    region = serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text="Identifiant de la région.")
    month = serializers.RegexField(
        r"^[1-9]\d{3}-(0[1-9]|1[0-2])$",
        help_text=MONTH_HELP,
        error_messages={"invalid": "Mois attendu au format AAAA-MM, par exemple 2025-10."},
    )


class SentSerializer(serializers.Serializer):
    offers = serializers.IntegerField(help_text="Propositions envoyées.")
    doctors = serializers.IntegerField(help_text="Médecins prévenus (un message chacun).")
    dropped = serializers.IntegerField(help_text="Propositions devenues impossibles, retirées à l'envoi.")


@extend_schema_view(
    list=extend_schema(summary="Lister les plannings de sa région (équipe ARS)"),
    retrieve=extend_schema(summary="Voir un planning et ses propositions (équipe ARS)"),
)
class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PlanSerializer
    permission_classes = [IsArsStaff]

    def get_queryset(self) -> QuerySet:
        lines = PlanLine.objects.select_related("slot").order_by("slot__date", "pk")
        return (
            visible(self.request.user, Plan)
            .prefetch_related(Prefetch("lines", queryset=lines))
            .order_by("-month", "-created_at", "-pk")
        )

    @extend_schema(
        summary="Proposer un planning pour une région et un mois (équipe ARS de la région)",
        description=(
            "L'optimiseur propose des médecins disponibles pour les créneaux ouverts du mois, les zones les moins "
            "couvertes d'abord, sous toutes les règles de réservation. C'est un brouillon à relire : rien n'est "
            "envoyé aux médecins. Un brouillon existant pour ce mois et cette région est remplacé."
        ),
        request=ProposeSerializer,
        responses={201: PlanSerializer, 409: conflict("date_in_past", "beyond_horizon")},
    )
    def create(self, request: Request) -> Response:
        data = ProposeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        region = offered(request.user, Region).filter(pk=data.validated_data["region"]).first()
        if region is None:
            raise serializers.ValidationError({"region": ["Région inconnue ou hors de votre périmètre."]})
        plan = services.propose_plan(
            region=region, month=parse_month(data.validated_data["month"]), by=signed_in(request)
        )
        plan = get_object_or_404(self.get_queryset(), pk=plan.pk)
        return Response(
            PlanSerializer(plan, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Envoyer les propositions d'un planning (équipe ARS de la région)",
        description="Chaque médecin reçoit un seul message avec toutes ses propositions (liens signés).",
        request=None,
        responses={200: SentSerializer, 409: conflict("invalid_transition")},
    )
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str | None = None) -> Response:
        sent = services.send_plan(self.get_object(), by=signed_in(request))
        return Response({"offers": sent.offers, "doctors": sent.doctors, "dropped": sent.dropped})
