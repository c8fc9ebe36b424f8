"""The personal iCal feed: no login, the secret token in the URL is the key (revocable)."""

from datetime import timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from missions.ical import doctor_calendar
from missions.models import Booking, Doctor

HISTORY_DAYS = 365


@never_cache
def ical_feed(request: HttpRequest, token: str) -> HttpResponse:
    doctor = Doctor.objects.filter(ical_token=token).only("pk").first()
    if doctor is None:
        raise Http404("Lien de calendrier inconnu ou renouvelé.")
    bookings = (
        Booking.objects.filter(
            doctor_id=doctor.pk,
            status__in=Booking.ACTIVE_STATUSES,
            date__gte=timezone.localdate() - timedelta(days=HISTORY_DAYS),
        )
        .select_related("slot__site__commune", "zone")
        .order_by("date")
    )
    response = HttpResponse(doctor_calendar(bookings), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="missions.ics"'
    return response
