"""Availability: a doctor's declared days, and the validated doctors free on a day in a zone (to offer a slot)."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.authority import is_ars_staff, site_ids, visible
from accounts.person import signed_in
from api.errors import ErrorSerializer, conflict
from api.permissions import IsDoctor
from missions import services
from missions.api.shared import audited
from missions.filters import AvailabilityFilter
from missions.models import Availability
from missions.queries import available_doctors
from sites.models import HostSite, Period, Zone


class AvailabilitySerializer(serializers.ModelSerializer):
    period = serializers.ChoiceField(choices=Period.choices, default=Period.FULL_DAY)

    class Meta:
        model = Availability
        fields = ["id", "date", "period"]
        read_only_fields = ["id"]


# A validated doctor available that day in the zone (for an unfilled slot to be offered to them).
class AvailableDoctorSerializer(serializers.ModelSerializer):
    doctor = serializers.IntegerField(source="doctor_id", read_only=True)
    name = serializers.CharField(source="doctor.full_name", read_only=True)
    specialty = serializers.CharField(source="doctor.specialty", read_only=True)

    class Meta:
        model = Availability
        fields = ["doctor", "name", "specialty", "date", "period"]
        read_only_fields = fields


class AvailabilitySearchSerializer(serializers.Serializer):
    # The zone's id only: the view looks it up among the zones the caller may see (404 otherwise).
    zone = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    date = serializers.DateField()


AVAILABILITY_LIST_ITEM = PolymorphicProxySerializer(
    component_name="AvailabilityListItem",
    serializers=[AvailabilitySerializer, AvailableDoctorSerializer],
    resource_type_field_name=None,
    many=True,
)


class AvailabilityViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    serializer_class = AvailabilitySerializer
    filterset_class = AvailabilityFilter

    def get_queryset(self) -> QuerySet:
        # The caller's own availability (a doctor's list, and what they may remove), within what they may see.
        user = self.request.user
        return visible(user, Availability).filter(doctor__user_id=user.pk).order_by("date", "period", "pk")

    def get_permissions(self):
        if self.action in ("create", "destroy"):
            return [IsDoctor()]
        return [IsAuthenticated()]

    @extend_schema(
        summary="Disponibilités",
        description=(
            "Sans `zone` ni `date` : les disponibilités déclarées par le médecin appelant (`Availability`). "
            "Avec `zone` et `date` (équipe ARS, membres d'un lieu de cette zone) : les médecins validés "
            "disponibles ce jour-là pour cette zone et sans mission ce jour-là (`AvailableDoctor`), à qui proposer "
            "un créneau non pourvu."
        ),
        parameters=[
            OpenApiParameter("zone", OpenApiTypes.INT, description="Zone recherchée (avec `date`)."),
            OpenApiParameter("date", OpenApiTypes.DATE, description="Jour recherché (avec `zone`)."),
        ],
        responses={
            200: AVAILABILITY_LIST_ITEM,
            403: OpenApiResponse(ErrorSerializer, description="Ce rôle ne permet pas cette recherche."),
        },
    )
    def list(self, request: Request) -> Response:
        if "zone" in request.query_params or "date" in request.query_params:
            return self._available_doctors(request)
        if not hasattr(request.user, "doctor"):
            raise PermissionDenied("Seuls les médecins déclarent des disponibilités.")
        return super().list(request)

    def _available_doctors(self, request: Request) -> Response:
        user = request.user
        ars = is_ars_staff(user)
        if not (ars or site_ids(user)):
            raise PermissionDenied("Réservé aux lieux d'accueil et à l'équipe de l'ARS.")
        query = AvailabilitySearchSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        zone = get_object_or_404(visible(user, Zone), pk=query.validated_data["zone"])
        day = query.validated_data["date"]
        if not ars and not HostSite.objects.filter(zone=zone, pk__in=site_ids(user)).exists():
            raise PermissionDenied("Vous ne pouvez chercher des médecins que dans la zone de votre lieu d'accueil.")
        page = self.paginate_queryset(visible(user, available_doctors(zone=zone, date=day)))
        response = self.get_paginated_response(AvailableDoctorSerializer(page, many=True).data)
        return audited(request, response, "missions.doctor")

    @extend_schema(
        summary="Déclarer une disponibilité",
        description="Elle vaut pour toutes les zones que le médecin couvre.",
        responses={201: AvailabilitySerializer, 409: conflict("date_in_past", "beyond_horizon")},
    )
    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        person = signed_in(request)
        availability = services.declare_availability(doctor=person.doctor, by=person, **serializer.validated_data)
        return Response(AvailabilitySerializer(availability).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Retirer une disponibilité", responses={204: OpenApiResponse(description="Retirée.")})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        services.remove_availability(self.get_object(), by=signed_in(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
