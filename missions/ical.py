"""A doctor's missions as an iCalendar feed (RFC 5545) that calendar apps subscribe to."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.utils import timezone
from icalendar import Calendar, Event

from config.site_url import site_url
from missions.models import Booking
from missions.pack import PracticalPack, practical_packs
from missions.rules import PARIS, PERIOD_HOURS

STATUS_TEXT: dict[str, str] = {  # keyed by BookingStatus (a str)
    Booking.Status.REQUESTED: "TENTATIVE",
    Booking.Status.CONFIRMED: "CONFIRMED",
    Booking.Status.COMPLETED: "CONFIRMED",
}
SUMMARY_PREFIX: dict[str, str] = {
    Booking.Status.REQUESTED: "[À confirmer] ",
    Booking.Status.CONFIRMED: "",
    Booking.Status.COMPLETED: "",
}


def period_times(day: date, period: str) -> tuple[datetime, datetime]:
    """Morning 08:00–12:30, afternoon 13:30–18:00, full day 08:00–18:00, Paris time."""
    start, end = PERIOD_HOURS[period]
    return datetime.combine(day, start, tzinfo=PARIS), datetime.combine(day, end, tzinfo=PARIS)


def _event(booking: Booking, stamp: datetime, pack: PracticalPack) -> Event:
    site = booking.slot.site
    start, end = period_times(booking.date, booking.period)
    event = Event()
    event.add("uid", f"booking-{booking.pk}@{site_url().split('://')[-1]}")
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", f"{SUMMARY_PREFIX[booking.status]}Mission – {site.name}")
    event.add("location", pack.full_address)
    lines = [
        f"{booking.get_period_display()} au lieu d'accueil {site.name} ({booking.zone.name}).",
        f"Statut : {booking.get_status_display()}.",
        *pack.lines(),
    ]
    if booking.slot.note:
        lines.append(f"Note du lieu : {booking.slot.note}")
    lines.append(f"Cette journée : {site_url()}/medecin/missions/{booking.pk}/")
    event.add("description", "\n".join(lines))
    event.add("status", STATUS_TEXT[booking.status])
    return event


def doctor_calendar(bookings: Iterable[Booking]) -> bytes:
    """The feed: one event per requested, confirmed or completed booking, with the Paris VTIMEZONE."""
    calendar = Calendar()
    calendar.add("prodid", "-//ARS//Un médecin près de chez vous//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Mes missions – Un médecin près de chez vous")
    calendar.add("x-wr-timezone", "Europe/Paris")
    calendar.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
    stamp = timezone.now()
    shown = [booking for booking in bookings if booking.status in STATUS_TEXT]
    packs = practical_packs({booking.slot.site_id: booking.slot.site for booking in shown}.values())
    for booking in shown:
        calendar.add_component(_event(booking, stamp, packs[booking.slot.site_id]))
    calendar.add_missing_timezones()
    return calendar.to_ical()
