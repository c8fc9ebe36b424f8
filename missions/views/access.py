"""Who may enter each web space. A person outside it gets a 403 page; another party's objects are 404."""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.authority import is_ars_staff, is_staff_without_region, site_ids
from missions.models import Doctor
from sites.models import HostSite


def doctor_space(view: Callable) -> Callable:
    """The view receives the logged-in person's Doctor as second argument."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        assert user.is_authenticated, "login_required let only a signed-in person through"
        doctor = Doctor.objects.select_related("user", "practice_commune").filter(user_id=user.pk).first()
        if doctor is None:
            raise PermissionDenied("L'espace médecin est réservé aux médecins volontaires.")
        return view(request, doctor, *args, **kwargs)

    return wrapper


def host_space(view: Callable) -> Callable:
    """The view receives the list of host sites the person is a member of (at least one)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        sites = list(HostSite.objects.filter(pk__in=site_ids(request.user)).select_related("zone", "commune"))
        if not sites:
            raise PermissionDenied("L'espace lieu d'accueil est réservé aux équipes des lieux d'accueil.")
        return view(request, sites, *args, **kwargs)

    return wrapper


def ars_space(view: Callable) -> Callable:
    """ARS staff of a region (or a superuser). A staff account without a region gets a page telling them why they
    see nothing, and nothing else (accounts.authority: it no longer falls open to every region)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if is_staff_without_region(request.user):
            return render(request, "ars/no_region.html", {"contact": settings.ARS_CONTACT_EMAIL}, status=403)
        if not is_ars_staff(request.user):
            raise PermissionDenied("Le tableau de bord est réservé à l'équipe de l'ARS.")
        return view(request, *args, **kwargs)

    return wrapper
