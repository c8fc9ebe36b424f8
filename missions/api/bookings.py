"""Bookings: a doctor books (idempotent), the site confirms, declines or attests, either party cancels."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.authority import doctor_id, scope_of
from accounts.person import signed_in
from api.errors import conflict
from api.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent, within_claim
from api.permissions import IsBookingParty, IsDoctor, IsSiteMemberOrArsStaff
from missions import services
from missions.api.shared import ReasonSerializer, audited
from missions.filters import BookingFilter
from missions.models import Booking, Doctor
from missions.queries import bookings_visible_to
from missions.rules import Replacement
from sites.models import Slot

REPLACEMENT_FIELDS = ("replacement_name", "replacement_rpps", "derogation_requested_on")


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
            *REPLACEMENT_FIELDS,
        ]
        read_only_fields = fields

    def to_representation(self, instance: Booking) -> dict:
        """The remplaçant is the doctor's and the ARS's business: a host site reads empty fields."""
        data = super().to_representation(instance)
        request = self.context.get("request")
        user = request.user if request is not None else None
        if instance.doctor.user_id == getattr(user, "pk", None):
            return data
        if not scope_of(user).ars:
            data.update({"replacement_name": "", "replacement_rpps": "", "derogation_requested_on": None})
        return data


# The representation of a booking just created, written out: BookingSerializer (a ModelSerializer) builds its 22
# fields from the model on every instantiation, a tenth of the booking's CPU (#20's profile). The values go through
# the same DRF fields (dates, times in the current time zone, the decimal as a string); a test holds the two equal.
_DATE = serializers.DateField()
_DATETIME = serializers.DateTimeField()
_FRACTION = serializers.DecimalField(max_digits=3, decimal_places=2)


def _or_none(field: serializers.Field, value):
    return None if value is None else field.to_representation(value)


def created_booking_data(booking: Booking, user) -> dict:
    """What BookingSerializer(booking, context={"request": …}).data says to `user`, without building it."""
    slot = booking.slot
    data = {
        "id": booking.pk,
        "slot": booking.slot_id,
        "site": slot.site_id,
        "site_name": slot.site.name,
        "zone": booking.zone_id,
        "doctor": booking.doctor_id,
        "doctor_name": booking.doctor.full_name,
        "date": _DATE.to_representation(booking.date),
        "period": booking.period,
        "day_fraction": _FRACTION.to_representation(booking.day_fraction),
        "status": booking.status,
        "in_own_zone": booking.in_own_zone,
        "reason": booking.reason,
        "late_cancellation": booking.late_cancellation,
        "consultations": booking.consultations,
        "requested_at": _or_none(_DATETIME, booking.requested_at),
        "confirmed_at": _or_none(_DATETIME, booking.confirmed_at),
        "declined_at": _or_none(_DATETIME, booking.declined_at),
        "cancelled_at": _or_none(_DATETIME, booking.cancelled_at),
        "attested_at": _or_none(_DATETIME, booking.attested_at),
        "replacement_name": booking.replacement_name,
        "replacement_rpps": booking.replacement_rpps,
        "derogation_requested_on": _or_none(_DATE, booking.derogation_requested_on),
    }
    if booking.doctor.user_id != getattr(user, "pk", None) and not scope_of(user).ars:
        data.update({"replacement_name": "", "replacement_rpps": "", "derogation_requested_on": None})
    return data


class BookingCreateSerializer(serializers.Serializer):
    # The slot's id only: the service reads the slot once, under its lock (no second read to validate it here).
    slot = serializers.IntegerField(min_value=1, help_text="Identifiant du créneau à réserver.")
    # The doctor's replacement at their main practice that day: required when their file declares a replacement
    # (409 `replacement_required`), refused otherwise (409 `replacement_not_declared`).
    replacement_name = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Nom et prénom du remplaçant au cabinet ce jour-là."
    )
    replacement_rpps = serializers.CharField(
        required=False, allow_blank=True, max_length=20, help_text="N° RPPS du remplaçant (11 chiffres)."
    )
    derogation_requested_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Date de la demande de dérogation au CNOM."
    )

    def replacement(self) -> Replacement | None:
        data = self.validated_data
        return Replacement.parse(
            data.get("replacement_name"), data.get("replacement_rpps"), data.get("derogation_requested_on")
        )

    def unknown_slot(self, slot_id: int) -> serializers.ValidationError:
        message = serializers.PrimaryKeyRelatedField.default_error_messages["does_not_exist"]
        return serializers.ValidationError({"slot": [str(message).format(pk_value=slot_id)]})


class AttestationSerializer(serializers.Serializer):
    attended = serializers.BooleanField(help_text="Le médecin est-il venu ?")
    consultations = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Nombre de consultations (si le médecin est venu)."
    )


class CorrectionSerializer(AttestationSerializer):
    reason = serializers.CharField(
        max_length=500,
        help_text="Motif de la correction (obligatoire, 500 caractères au plus) : conservé dans l'historique.",
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
        return audited(request, super().list(request, *args, **kwargs), "missions.booking")

    def get_permissions(self):
        if self.action == "create":
            return [IsDoctor()]
        if self.action in ("confirm", "decline", "attest", "correct"):
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
                "zone_not_covered",
                "replacement_required",
                "replacement_not_declared",
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
        person = signed_in(request)
        # Only the ids are read: book_slot reads the doctor again under its lock.
        doctor = Doctor(pk=doctor_id(person), user_id=person.pk)
        try:
            # Inside an Idempotency-Key's claim, any refusal (or an unknown slot) rolls the claim's transaction back
            # whole: the service needs no savepoint of its own (two round trips less).
            booking = services.book_slot(
                doctor=doctor,
                slot=Slot(pk=slot_id),
                by=person,
                replacement=serializer.replacement(),
                savepoint=not within_claim(),
            )
        except Slot.DoesNotExist:
            raise serializer.unknown_slot(slot_id) from None
        return Response(created_booking_data(booking, request.user), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Confirmer une réservation (lieu d'accueil)",
        request=None,
        responses={200: BookingSerializer, 409: conflict("invalid_transition")},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        booking = services.confirm_booking(self.get_object(), by=signed_in(request))
        return Response(self.get_serializer(booking).data)

    @extend_schema(
        summary="Refuser une réservation (lieu d'accueil)",
        request=ReasonSerializer,
        responses={200: BookingSerializer, 409: conflict("invalid_transition")},
    )
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        booking = self.get_object()
        reason = self._valid(ReasonSerializer)["reason"]
        return Response(
            self.get_serializer(services.decline_booking(booking, by=signed_in(request), reason=reason)).data
        )

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
        return Response(
            self.get_serializer(services.cancel_booking(booking, by=signed_in(request), reason=reason)).data
        )

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
            booking, by=signed_in(request), attended=data["attended"], consultations=data["consultations"]
        )
        return Response(self.get_serializer(booking).data)

    @extend_schema(
        summary="Corriger une attestation (lieu d'accueil, ou équipe ARS)",
        description="Le lieu d'accueil corrige sa propre attestation tant que la journée ne figure sur aucun relevé "
        "émis (ensuite `attestation_stated` : seule l'équipe ARS la corrige, le relevé suivant l'annule, R9). "
        "Le motif est conservé dans l'historique avec l'auteur et la date.",
        request=CorrectionSerializer,
        responses={200: BookingSerializer, 409: conflict("invalid_transition", "attestation_stated")},
    )
    @action(detail=True, methods=["post"])
    def correct(self, request: Request, pk: str | None = None) -> Response:
        booking = self.get_object()
        data = self._valid(CorrectionSerializer)
        booking = services.correct_attestation(
            booking,
            by=signed_in(request),
            attended=data["attended"],
            consultations=data["consultations"],
            reason=data["reason"],
        )
        return Response(self.get_serializer(booking).data)

    def _valid(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
