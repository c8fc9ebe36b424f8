"""API v1 of missions (being split by resource)."""

from missions.api.doctors import AvailabilityViewSet, BookingViewSet, CoverageViewSet, DoctorViewSet, SlotViewSet

__all__ = ["AvailabilityViewSet", "BookingViewSet", "CoverageViewSet", "DoctorViewSet", "SlotViewSet"]
