"""Zones and host sites, read-only: any signed-in person may list them (public information of a public service,
kept behind authentication like the rest of the API). ARS staff manage them in the admin."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from sites.models import HostSite, Zone


class ZoneSerializer(serializers.ModelSerializer):
    department = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Code du département.")

    class Meta:
        model = Zone
        fields = ["id", "siren", "name", "department", "active", "target_days_per_month"]


class HostSiteSerializer(serializers.ModelSerializer):
    commune = serializers.SlugRelatedField(slug_field="insee_code", read_only=True, help_text="Code INSEE.")
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
    list=extend_schema(summary="Lister les zones", description="Les zones de la mission, actives ou non."),
    retrieve=extend_schema(summary="Voir une zone"),
)
class ZoneViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Zone.objects.select_related("department").order_by("department__code", "name", "pk")
    serializer_class = ZoneSerializer
    filterset_class = ZoneFilter


@extend_schema_view(
    list=extend_schema(summary="Lister les lieux d'accueil", description="Les lieux d'accueil actifs."),
    retrieve=extend_schema(summary="Voir un lieu d'accueil"),
)
class HostSiteViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = HostSite.objects.filter(active=True).select_related("commune").order_by("name", "pk")
    serializer_class = HostSiteSerializer
    filterset_fields = ["zone", "kind"]
