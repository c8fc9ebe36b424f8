"""API v1 of slots, doctors, bookings, availability and coverage, one module each: parse, call a service or a query,
render.

Who sees what is accounts/authority.py, and only there: every viewset's queryset is `visible(user, Model)` (plus
its own filters), so an object outside the caller's scope is a 404, never revealing that it exists. In short:
ARS staff see their region(s) (superusers: every region; a staff account without a region: nothing), host-site
members their sites, CPAM agents their doctors' bookings, doctors themselves; every signed-in person sees the
catalogue a volunteer searches (open slots of active sites). The role check of each action (api/permissions.py,
403) comes first, then the service's own `authority.require(by=…)`. Lists that show doctors' identities to someone
other than the doctor write one row to the access log (accounts.audit.record_bulk_read).
"""

from missions.api.availability import AvailabilityViewSet
from missions.api.bookings import BookingViewSet
from missions.api.coverage import CoverageViewSet
from missions.api.doctors import DoctorViewSet
from missions.api.slots import SlotViewSet

__all__ = ["AvailabilityViewSet", "BookingViewSet", "CoverageViewSet", "DoctorViewSet", "SlotViewSet"]
