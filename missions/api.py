"""API v1 of slots, doctors, bookings, availability and coverage: parse, call a service or a query, render.

Who sees what is accounts/authority.py, and only there: every viewset's queryset is `visible(user, Model)` (plus
its own filters), so an object outside the caller's scope is a 404, never revealing that it exists. In short:
ARS staff see their region(s) (superusers: every region; a staff account without a region: nothing), host-site
members their sites, CPAM agents their doctors' bookings, doctors themselves; every signed-in person sees the
catalogue a volunteer searches (open slots of active sites). The role check of each action (config/api_permissions.py,
403) comes first, then the service's own `authority.require(by=…)`. Lists that show doctors' identities to someone
other than the doctor write one row to the access log (accounts.audit.record_bulk_read).
"""

from datetime import date

from django.db.models import F, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.audit import record_bulk_read
from accounts.authority import ars_zones, is_ars_staff, site_ids, visible
from config.api_errors import ErrorSerializer, conflict
from config.api_idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from config.api_permissions import (
    IsArsStaff,
    IsBookingParty,
    IsDoctor,
    IsDoctorOrArsStaff,
    IsSiteMemberOrArsStaff,
)
from config.api_throttles import RegistrationThrottle
from missions import services
from missions.filters import AvailabilityFilter, BookingFilter, DoctorFilter, SlotFilter
from missions.models import Availability, Booking, Doctor
from missions.queries import available_doctors, bookings_visible_to, coverage, slots_with_remaining
from missions.registration import Registration
from sites.models import Commune, Department, HostSite, Period, Slot, Zone
from sites.services import publish_slot

# --- slots ---------------------------------------------------------------------------------------------------


def _audited(request: Request, response: Response, object_type: str) -> Response:
    """A list that shows doctors' identities leaves one row in the access log (who, path, query, how many)."""
    if response.status_code == 200:
        data = response.data
        rows = data.get("results", ()) if isinstance(data, dict) else data
        record_bulk_read(request, object_type=object_type, count=len(rows))
    return response


class SlotSerializer(serializers.ModelSerializer):
    site_name = serializers.CharField(read_only=True, help_text="Nom du lieu d'accueil.")
    remaining = serializers.IntegerField(read_only=True, help_text="Places encore libres (capacité − réservations).")

    class Meta:
        model = Slot
        fields = ["id", "site", "site_name", "zone", "date", "period", "capacity", "remaining", "status", "note"]
        read_only_fields = fields

    def to_representation(self, slot: Slot) -> dict:
        """The fields above, written out: the doctors' slot search is the API's busiest list, and DRF's generic
        per-field path cost half its time. tests/api/test_slots_and_sites.py holds it equal to DRF's own."""
        return {
            "id": slot.pk,
            "site": slot.site_id,
            "site_name": slot.site_name,
            "zone": slot.zone_id,
            "date": slot.date.isoformat(),
            "period": slot.period,
            "capacity": slot.capacity,
            "remaining": slot.remaining,
            "status": slot.status,
            "note": slot.note,
        }


class SlotCreateSerializer(serializers.Serializer):
    # Only the sites the caller may see (accounts.authority): another region's site is « does not exist ».
    site = serializers.PrimaryKeyRelatedField(queryset=HostSite.objects.none())
    date = serializers.DateField()
    period = serializers.ChoiceField(choices=Period.choices, default=Period.FULL_DAY)
    capacity = serializers.IntegerField(default=1)
    note = serializers.CharField(max_length=500, allow_blank=True, default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        self.fields["site"].queryset = visible(getattr(request, "user", None), HostSite)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=True, default="")


class SlotClosedSerializer(SlotSerializer):
    cancelled_bookings = serializers.IntegerField(read_only=True, help_text="Réservations annulées par la fermeture.")

    def to_representation(self, slot: Slot) -> dict:
        return super().to_representation(slot) | {"cancelled_bookings": slot.cancelled_bookings}

    class Meta(SlotSerializer.Meta):
        fields = [*SlotSerializer.Meta.fields, "cancelled_bookings"]
        read_only_fields = fields


def slots_for_api(qs: QuerySet) -> QuerySet:
    """What SlotSerializer reads: the places left, and the site's name (a column, not a HostSite per slot)."""
    return slots_with_remaining(qs).annotate(site_name=F("site__name"))


def _slot_with_remaining(pk: int) -> Slot:
    return slots_for_api(Slot.objects.filter(pk=pk)).get()


@extend_schema_view(
    list=extend_schema(summary="Lister les créneaux"),
    retrieve=extend_schema(summary="Voir un créneau"),
)
class SlotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = SlotSerializer
    filterset_class = SlotFilter

    def get_queryset(self) -> QuerySet:
        return slots_for_api(visible(self.request.user, Slot)).order_by("date", "pk")

    def get_permissions(self):
        if self.action in ("create", "close"):
            return [IsSiteMemberOrArsStaff()]
        return [IsAuthenticated()]

    @extend_schema(
        summary="Publier un créneau",
        description="Par un membre du lieu d'accueil ou l'équipe de l'ARS.",
        request=SlotCreateSerializer,
        responses={
            201: SlotSerializer,
            409: conflict("date_in_past", "beyond_horizon", "slot_exists", "site_inactive"),
        },
    )
    def create(self, request: Request) -> Response:
        data = self._valid(SlotCreateSerializer, request)
        slot = publish_slot(by=request.user, **data)
        return Response(SlotSerializer(_slot_with_remaining(slot.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Fermer un créneau",
        description="Annule ses réservations actives (les médecins sont prévenus, avec le motif).",
        request=ReasonSerializer,
        responses={200: SlotClosedSerializer, 409: conflict("invalid_transition", "date_in_past")},
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        slot = self.get_object()
        data = self._valid(ReasonSerializer, request)
        cancelled = services.close_slot(slot, by=request.user, reason=data["reason"])
        body = SlotSerializer(_slot_with_remaining(slot.pk)).data | {"cancelled_bookings": cancelled}
        return Response(body)

    def _valid(self, serializer_class, request: Request) -> dict:
        serializer = serializer_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


# --- doctors -------------------------------------------------------------------------------------------------


class DoctorSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    practice_commune = serializers.SlugRelatedField(slug_field="insee_code", read_only=True, help_text="Code INSEE.")
    practice_department = serializers.SlugRelatedField(slug_field="code", read_only=True)
    cdom_department = serializers.SlugRelatedField(slug_field="code", read_only=True)
    zones = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Doctor
        fields = [
            "id",
            "status",
            "email",
            "first_name",
            "last_name",
            "rpps",
            "specialty",
            "sector",
            "mode",
            "practice_commune",
            "practice_department",
            "cdom_department",
            "zones",
            "phone",
            "replacement_declared",
            "billing_number",
            "status_reason",
            "submitted_at",
            "validated_at",
        ]
        read_only_fields = fields


class DoctorRegistrationSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, trim_whitespace=False, style={"input_type": "password"})
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    rpps = serializers.CharField(max_length=20, help_text="11 chiffres, clé de Luhn comprise.")
    specialty = serializers.CharField(max_length=150, allow_blank=True, default="")
    sector = serializers.ChoiceField(choices=Doctor.Sector.choices)
    mode = serializers.ChoiceField(choices=Doctor.Mode.choices, default=Doctor.Mode.LIBERAL)
    practice_commune = serializers.CharField(max_length=5, help_text="Code INSEE de la commune d'exercice principal.")
    cdom_department = serializers.CharField(
        max_length=3,
        required=False,
        help_text="Code du département du CDOM d'inscription (par défaut : celui de la commune d'exercice).",
    )
    phone = serializers.CharField(max_length=30, allow_blank=True, default="")
    zones = serializers.ListField(
        # Bounded like the ids they name: a larger number made the database refuse the query (500).
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        default=list,
        max_length=500,
        help_text="Identifiants des zones que le médecin peut couvrir.",
    )
    replacement_declared = serializers.BooleanField(default=False)

    def validate_practice_commune(self, value: str) -> Commune:
        commune = Commune.objects.select_related("department").filter(insee_code=value.strip().upper()).first()
        if commune is None:
            raise serializers.ValidationError(f"Aucune commune ne porte le code INSEE « {value} ».")
        return commune

    def validate_cdom_department(self, value: str) -> Department:
        department = Department.objects.filter(code=value.strip().upper()).first()
        if department is None:
            raise serializers.ValidationError(f"Département inconnu : « {value} ».")
        return department

    def validate_zones(self, value: list[int]) -> list[Zone]:
        zones = {zone.pk: zone for zone in Zone.objects.filter(pk__in=value)}
        unknown = [str(pk) for pk in value if pk not in zones]
        if unknown:
            raise serializers.ValidationError(f"Zone inconnue : {', '.join(unknown)}.")
        return [zones[pk] for pk in dict.fromkeys(value)]


class DoctorDecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=True, default="")


DOCTOR_TRANSITION = conflict("invalid_transition")


@extend_schema_view(
    list=extend_schema(summary="Lister les médecins (équipe ARS)"),
    retrieve=extend_schema(summary="Voir un médecin", description="L'équipe ARS : tous ; un médecin : lui-même."),
)
class DoctorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = DoctorSerializer
    filterset_class = DoctorFilter

    def get_queryset(self) -> QuerySet:
        return (
            visible(self.request.user, Doctor)
            .select_related("user", "practice_commune", "practice_department", "cdom_department")
            .prefetch_related("zones")
            .order_by("last_name", "first_name", "pk")
        )

    def list(self, request: Request, *args, **kwargs) -> Response:
        return _audited(request, super().list(request, *args, **kwargs), "missions.doctor")

    def get_permissions(self):
        if self.action == "create":
            return [AllowAny()]
        if self.action == "retrieve":
            return [IsDoctorOrArsStaff()]
        if self.action == "me":
            return [IsDoctor()]
        return [IsArsStaff()]

    def get_throttles(self):
        return [RegistrationThrottle()] if self.action == "create" else []

    @extend_schema(
        summary="S'inscrire comme médecin volontaire",
        description="Inscription publique : crée le compte et le dossier, au statut « submitted ».",
        request=DoctorRegistrationSerializer,
        responses={201: DoctorSerializer},
        auth=[],
    )
    def create(self, request: Request) -> Response:
        serializer = DoctorRegistrationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        doctor = services.register_doctor(Registration(**serializer.validated_data))
        return Response(DoctorSerializer(doctor).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Mon dossier de médecin")
    @action(detail=False, methods=["get"])
    def me(self, request: Request) -> Response:
        return Response(DoctorSerializer(self.get_queryset().get(user=request.user)).data)

    @extend_schema(
        summary="Valider un dossier", request=None, responses={200: DoctorSerializer, 409: DOCTOR_TRANSITION}
    )
    @action(detail=True, methods=["post"])
    def validate(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(services.validate_doctor, with_reason=False)

    @extend_schema(
        summary="Refuser un dossier",
        request=DoctorDecisionSerializer,
        responses={200: DoctorSerializer, 409: DOCTOR_TRANSITION},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(services.reject_doctor)

    @extend_schema(
        summary="Suspendre un médecin",
        request=DoctorDecisionSerializer,
        responses={200: DoctorSerializer, 409: DOCTOR_TRANSITION},
    )
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(services.suspend_doctor)

    @extend_schema(
        summary="Lever une suspension", request=None, responses={200: DoctorSerializer, 409: DOCTOR_TRANSITION}
    )
    @action(detail=True, methods=["post"])
    def reinstate(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(services.reinstate_doctor, with_reason=False)

    def _decide(self, service, *, with_reason: bool = True) -> Response:
        doctor = self.get_object()
        kwargs = {}
        if with_reason:
            serializer = DoctorDecisionSerializer(data=self.request.data)
            serializer.is_valid(raise_exception=True)
            kwargs["reason"] = serializer.validated_data["reason"]
        service(doctor, by=self.request.user, **kwargs)
        return Response(DoctorSerializer(self.get_queryset().get(pk=doctor.pk)).data)


# --- bookings ------------------------------------------------------------------------------------------------


class BookingSerializer(serializers.ModelSerializer):
    site = serializers.IntegerField(source="slot.site_id", read_only=True)
    site_name = serializers.CharField(source="slot.site.name", read_only=True)
    doctor_name = serializers.CharField(source="doctor.full_name", read_only=True)

    class Meta:
        model = Booking
        fields = [
            "id",
            "slot",
            "site",
            "site_name",
            "zone",
            "doctor",
            "doctor_name",
            "date",
            "period",
            "day_fraction",
            "status",
            "in_own_zone",
            "reason",
            "late_cancellation",
            "consultations",
            "requested_at",
            "confirmed_at",
            "declined_at",
            "cancelled_at",
            "attested_at",
        ]
        read_only_fields = fields


class BookingCreateSerializer(serializers.Serializer):
    # The slot's id only: the service reads the slot once, under its lock (no second read to validate it here).
    slot = serializers.IntegerField(min_value=1, help_text="Identifiant du créneau à réserver.")

    def unknown_slot(self, slot_id: int) -> serializers.ValidationError:
        message = serializers.PrimaryKeyRelatedField.default_error_messages["does_not_exist"]
        return serializers.ValidationError({"slot": [str(message).format(pk_value=slot_id)]})


class AttestationSerializer(serializers.Serializer):
    attended = serializers.BooleanField(help_text="Le médecin est-il venu ?")
    consultations = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Nombre de consultations (si le médecin est venu)."
    )


@extend_schema_view(
    list=extend_schema(summary="Lister les réservations", description="Celles que l'appelant peut voir."),
    retrieve=extend_schema(summary="Voir une réservation"),
)
class BookingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = BookingSerializer
    filterset_class = BookingFilter

    def get_queryset(self) -> QuerySet:
        return bookings_visible_to(self.request.user).select_related("slot__site", "doctor").order_by("-date", "-pk")

    def list(self, request: Request, *args, **kwargs) -> Response:
        return _audited(request, super().list(request, *args, **kwargs), "missions.booking")

    def get_permissions(self):
        if self.action == "create":
            return [IsDoctor()]
        if self.action in ("confirm", "decline", "attest"):
            return [IsSiteMemberOrArsStaff()]
        if self.action == "cancel":
            return [IsBookingParty()]
        return [IsAuthenticated()]

    @extend_schema(
        summary="Réserver un créneau",
        description="Par un médecin validé. Honore l'en-tête Idempotency-Key.",
        request=BookingCreateSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={
            201: BookingSerializer,
            409: conflict(
                "slot_full",
                "monthly_cap_reached",
                "already_booked_that_day",
                "doctor_not_validated",
                "date_in_past",
                "beyond_horizon",
                "slot_closed",
                "idempotency_key_reused",
            ),
        },
    )
    def create(self, request: Request) -> Response:
        return idempotent(request, scope="bookings.create", create=lambda: self._book(request))

    def _book(self, request: Request) -> Response:
        serializer = BookingCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        slot_id = serializer.validated_data["slot"]
        try:
            booking = services.book_slot(doctor=request.user.doctor, slot=Slot(pk=slot_id), by=request.user)
        except Slot.DoesNotExist:
            raise serializer.unknown_slot(slot_id) from None
        return Response(BookingSerializer(booking).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Confirmer une réservation (lieu d'accueil)",
        request=None,
        responses={200: BookingSerializer, 409: conflict("invalid_transition")},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        booking = services.confirm_booking(self.get_object(), by=request.user)
        return Response(BookingSerializer(booking).data)

    @extend_schema(
        summary="Refuser une réservation (lieu d'accueil)",
        request=ReasonSerializer,
        responses={200: BookingSerializer, 409: conflict("invalid_transition")},
    )
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        booking = self.get_object()
        reason = self._valid(ReasonSerializer)["reason"]
        return Response(BookingSerializer(services.decline_booking(booking, by=request.user, reason=reason)).data)

    @extend_schema(
        summary="Annuler une réservation",
        description="Par le médecin, le lieu d'accueil ou l'équipe de l'ARS. Une annulation par le médecin à "
        "moins de 48 h est marquée tardive (`late_cancellation`).",
        request=ReasonSerializer,
        responses={200: BookingSerializer, 409: conflict("invalid_transition", "date_in_past")},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        booking = self.get_object()
        reason = self._valid(ReasonSerializer)["reason"]
        return Response(BookingSerializer(services.cancel_booking(booking, by=request.user, reason=reason)).data)

    @extend_schema(
        summary="Attester la journée (lieu d'accueil, à partir du jour même)",
        request=AttestationSerializer,
        responses={200: BookingSerializer, 409: conflict("invalid_transition", "attestation_too_early")},
    )
    @action(detail=True, methods=["post"])
    def attest(self, request: Request, pk: str | None = None) -> Response:
        booking = self.get_object()
        data = self._valid(AttestationSerializer)
        booking = services.attest_booking(
            booking, by=request.user, attended=data["attended"], consultations=data["consultations"]
        )
        return Response(BookingSerializer(booking).data)

    def _valid(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


# --- availability --------------------------------------------------------------------------------------------


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
        return _audited(request, response, "missions.doctor")

    @extend_schema(
        summary="Déclarer une disponibilité",
        description="Elle vaut pour toutes les zones que le médecin couvre.",
        responses={201: AvailabilitySerializer, 409: conflict("date_in_past", "beyond_horizon")},
    )
    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        availability = services.declare_availability(
            doctor=request.user.doctor, by=request.user, **serializer.validated_data
        )
        return Response(AvailabilitySerializer(availability).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Retirer une disponibilité", responses={204: OpenApiResponse(description="Retirée.")})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        services.remove_availability(self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- coverage ------------------------------------------------------------------------------------------------


class CoverageQuerySerializer(serializers.Serializer):
    month = serializers.RegexField(
        r"^[1-9]\d{3}-(0[1-9]|1[0-2])$",  # year 0000 does not exist (it was a 500)
        required=False,
        help_text="Mois au format AAAA-MM (par défaut : le mois en cours).",
        error_messages={"invalid": "Mois attendu au format AAAA-MM, par exemple 2025-10."},
    )

    def month_start(self) -> date:
        value = self.validated_data.get("month")
        if not value:
            return timezone.localdate().replace(day=1)
        year, month = value.split("-")
        return date(int(year), int(month), 1)


DAYS = {"max_digits": 8, "decimal_places": 1, "read_only": True}


class CoverageRowSerializer(serializers.Serializer):
    zone = serializers.IntegerField(source="zone.pk", read_only=True)
    zone_name = serializers.CharField(source="zone.name", read_only=True)
    month = serializers.SerializerMethodField(help_text="AAAA-MM")
    target_days = serializers.DecimalField(**DAYS)
    requested_days = serializers.DecimalField(**DAYS)
    confirmed_days = serializers.DecimalField(**DAYS)
    completed_days = serializers.DecimalField(**DAYS)

    def get_month(self, row) -> str:
        return f"{row.month:%Y-%m}"


# Coverage of the active zones for one month: target, requested, confirmed and completed doctor-days.
class CoverageViewSet(viewsets.GenericViewSet):
    permission_classes = [IsArsStaff]
    serializer_class = CoverageRowSerializer
    filter_backends = []

    def get_queryset(self) -> QuerySet:
        """The active zones of the agent's region(s) (superusers: every region)."""
        return ars_zones(self.request.user).filter(active=True).order_by("department__code", "name", "pk")

    @extend_schema(
        summary="Couverture des zones pour un mois (équipe ARS)",
        description="Pour chaque zone active : objectif, jours-médecin demandés, confirmés et effectués du mois.",
        parameters=[CoverageQuerySerializer],
    )
    def list(self, request: Request) -> Response:
        query = CoverageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        zones = self.paginate_queryset(self.get_queryset())
        rows = coverage([query.month_start()], zones=self.get_queryset().filter(pk__in=[zone.pk for zone in zones]))
        return self.get_paginated_response(CoverageRowSerializer(rows, many=True).data)
