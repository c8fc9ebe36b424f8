"""Slots: the catalogue a volunteer searches (every signed-in person), publishing and closing (host site, ARS)."""

import re
from typing import TYPE_CHECKING, TypedDict

from django.core.paginator import Page, Paginator
from django.db.models import F, QuerySet
from django_filters.utils import translate_validation
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.authority import scope_of, visible
from accounts.person import signed_in
from api.errors import conflict
from api.pagination import ApiPagination
from api.permissions import IsSiteMemberOrArsStaff
from missions import services
from missions.api import slot_search
from missions.api.shared import ReasonSerializer
from missions.filters import SlotFilter
from missions.queries import slots_with_remaining
from sites.models import HostSite, Period, Slot
from sites.services import publish_slot

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


# A page number the one-statement search takes: a plain positive integer (`last`, `2.0` … go the generic way).
_PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,8}")


class Listed(TypedDict):
    """What the slot search annotates (`_slot_with_remaining`)."""

    site_name: str
    remaining: int


class Closed(Listed):
    """A closed slot's answer also counts the bookings the closing cancelled."""

    cancelled_bookings: int


class SlotSerializer(serializers.ModelSerializer):
    site_name = serializers.CharField(read_only=True, help_text="Nom du lieu d'accueil.")
    remaining = serializers.IntegerField(read_only=True, help_text="Places encore libres (capacité − réservations).")

    class Meta:
        model = Slot
        fields = ["id", "site", "site_name", "zone", "date", "period", "capacity", "remaining", "status", "note"]
        read_only_fields = fields

    def to_representation(self, slot: "WithAnnotations[Slot, Listed]") -> dict:
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


class SlotClosedSerializer(SlotSerializer):
    cancelled_bookings = serializers.IntegerField(read_only=True, help_text="Réservations annulées par la fermeture.")

    # Narrower than SlotSerializer's on purpose: only a slot just closed (it carries cancelled_bookings) comes here.
    def to_representation(self, slot: "WithAnnotations[Slot, Closed]") -> dict:  # type: ignore[override]
        return super().to_representation(slot) | {"cancelled_bookings": slot.cancelled_bookings}

    class Meta(SlotSerializer.Meta):
        fields = [*SlotSerializer.Meta.fields, "cancelled_bookings"]
        read_only_fields = fields


def slots_for_api(qs: QuerySet) -> QuerySet:
    """What SlotSerializer reads: the places left, and the site's name (a column, not a HostSite per slot)."""
    return slots_with_remaining(qs).annotate(site_name=F("site__name"))


def listed_slots(qs: QuerySet) -> QuerySet:
    """The slot list's rows (before its filters): what SlotSerializer reads, by date."""
    return slots_for_api(qs).order_by("date", "pk")


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
        return listed_slots(visible(self.request.user, Slot))

    def list(self, request: Request, *args, **kwargs) -> Response:
        """The search in one statement compiled once per shape (missions/api/slot_search.py); DRF's generic list
        answers what that path does not take (`page=last`, a page past the end, an unusual shape)."""
        searched = self._searched(request)
        return searched if searched is not None else super().list(request, *args, **kwargs)

    def _searched(self, request: Request) -> Response | None:
        pagination = self.paginator
        if not isinstance(pagination, ApiPagination):
            return None
        number = request.query_params.get(pagination.page_query_param) or "1"
        if not _PAGE_NUMBER.fullmatch(number):
            return None
        form = slot_search.filter_form()(request.query_params)
        if not form.is_valid():
            raise translate_validation(form.errors)
        found = slot_search.statement_for(scope_of(request.user), form.cleaned_data, listed_slots=listed_slots)
        if found is None:
            return None
        statement, params = found
        size, page_number = pagination.get_page_size(request), int(number)
        if not size:
            return None
        rows = slot_search.page(statement, params, offset=(page_number - 1) * size, limit=size)
        if not rows and page_number > 1:
            return None  # past the last page: DRF's own « page non valide »
        counted: Paginator = Paginator([], size)
        counted.count = rows[0][-1] if rows else 0  # the window's total, not a COUNT query
        pagination.request = request
        pagination.page = Page(rows, page_number, counted)
        return pagination.get_paginated_response([slot_search.slot_answer(row) for row in rows])

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
        slot = publish_slot(by=signed_in(request), **data)
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
        cancelled = services.close_slot(slot, by=signed_in(request), reason=data["reason"])
        body = SlotSerializer(_slot_with_remaining(slot.pk)).data | {"cancelled_bookings": cancelled}
        return Response(body)

    def _valid(self, serializer_class, request: Request) -> dict:
        serializer = serializer_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
