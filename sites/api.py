"""Zones and host sites, read-only. What each person sees is accounts/authority.py (`visible`): every signed-in
person the catalogue a volunteer searches (active zones and sites), ARS staff those of their region(s), members
their own sites. ARS staff manage them in the admin."""

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from accounts.authority import visible
from sites.models import Commune, Department, HostSite, Zone


class ZoneSerializer(serializers.ModelSerializer):
    department: serializers.SlugRelatedField[Department] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="Code du département."
    )

    class Meta:
        model = Zone
        fields = ["id", "siren", "name", "department", "active", "target_days_per_month"]


class HostSiteSerializer(serializers.ModelSerializer):
    commune: serializers.SlugRelatedField[Commune] = serializers.SlugRelatedField(
        slug_field="insee_code", read_only=True, help_text="Code INSEE."
    )
    commune_name = serializers.CharField(source="commune.name", read_only=True)

    class Meta:
        model = HostSite
        fields = ["id", "name", "kind", "zone", "commune", "commune_name", "address", "finess"]


class ZoneFilter(django_filters.FilterSet):
    department = django_filters.CharFilter(field_name="department__code", help_text="Code du département.")

    class Meta:
        model = Zone
        fields = ["active", "department"]


@extend_schema_view(
    list=extend_schema(
        summary="Lister les zones",
        description="Les zones actives de la mission ; l'équipe ARS voit aussi les zones inactives de sa région.",
    ),
    retrieve=extend_schema(summary="Voir une zone"),
)
class ZoneViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ZoneSerializer
    filterset_class = ZoneFilter

    def get_queryset(self) -> QuerySet:
        return visible(self.request.user, Zone).select_related("department").order_by("department__code", "name", "pk")


@extend_schema_view(
    list=extend_schema(summary="Lister les lieux d'accueil", description="Les lieux d'accueil actifs."),
    retrieve=extend_schema(summary="Voir un lieu d'accueil"),
)
class HostSiteViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = HostSiteSerializer
    filterset_fields = ["zone", "kind"]

    def get_queryset(self) -> QuerySet:
        return visible(self.request.user, HostSite).filter(active=True).select_related("commune").order_by("name", "pk")
