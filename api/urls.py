"""Routes of the API (mounted at /api/): v1 resources, the OpenAPI schema and its documentation page.

Each app's viewsets register on `router`; to add a resource, add one `router.register(...)` line (at the end of
this module is fine: the router's routes are read when the URLs are first resolved, not at import).
"""

from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from api.auth import ObtainTokenView
from billing.api import StatementExportViewSet, StatementViewSet
from config.security import API_DOCS_CSP_UPDATE
from installation.api import ZonageViewSet
from missions.api import AvailabilityViewSet, BookingViewSet, CoverageViewSet, DoctorViewSet, SlotViewSet
from planning.api import PlanViewSet
from sites.api import HostSiteViewSet, ZoneViewSet

# DefaultRouter: the same routes plus a browsable API root at /api/v1/ listing the resources.
router = DefaultRouter(trailing_slash=True)
router.include_format_suffixes = False
router.register("zones", ZoneViewSet, basename="zone")
router.register("sites", HostSiteViewSet, basename="site")
router.register("slots", SlotViewSet, basename="slot")
router.register("doctors", DoctorViewSet, basename="doctor")
router.register("bookings", BookingViewSet, basename="booking")
router.register("availability", AvailabilityViewSet, basename="availability")
router.register("coverage", CoverageViewSet, basename="coverage")
router.register("statements", StatementViewSet, basename="statement")
router.register("statement-exports", StatementExportViewSet, basename="statement-export")
router.register("plans", PlanViewSet, basename="plan")
router.register("zonage", ZonageViewSet, basename="zonage")


class _RouterRoutes:
    """What `include()` reads: the router's routes, looked up when Django first resolves a URL."""

    @property
    def urlpatterns(self) -> list:
        return router.urls


app_name = "api"

urlpatterns = [
    path("v1/auth/token/", ObtainTokenView.as_view(), name="token"),
    # include() reads any object with `urlpatterns` (it uses getattr); django-stubs accept a module only.
    path("v1/", include(_RouterRoutes())),  # type: ignore[arg-type]
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from drf-spectacular-sidecar (served by the app, no CDN); the "split" view loads its start-up
    # script from ?script instead of inlining it, so the page runs under our CSP (relaxed for styles only).
    path(
        "docs/",
        csp_update(API_DOCS_CSP_UPDATE)(SpectacularSwaggerSplitView.as_view(url_name="api:schema")),
        name="docs",
    ),
]
