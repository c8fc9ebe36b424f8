"""Who may enter each web space. A person outside it gets a 403 page; another party's objects are 404."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from accounts.authority import is_ars_staff
from missions.models import Doctor
from sites.models import HostSite


def doctor_space(view: Callable) -> Callable:
    """The view receives the logged-in person's Doctor as second argument."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        doctor = Doctor.objects.select_related("user", "practice_commune").filter(user_id=request.user.pk).first()
        if doctor is None:
            raise PermissionDenied("L'espace médecin est réservé aux médecins volontaires.")
        return view(request, doctor, *args, **kwargs)

    return wrapper


def host_space(view: Callable) -> Callable:
    """The view receives the list of host sites the person is a member of (at least one)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        sites = list(HostSite.objects.filter(memberships__user_id=request.user.pk).select_related("zone", "commune"))
        if not sites:
            raise PermissionDenied("L'espace lieu d'accueil est réservé aux équipes des lieux d'accueil.")
        return view(request, sites, *args, **kwargs)

    return wrapper


def ars_space(view: Callable) -> Callable:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_ars_staff(request.user):
            raise PermissionDenied("Le tableau de bord est réservé à l'équipe de l'ARS.")
        return view(request, *args, **kwargs)

    return wrapper
