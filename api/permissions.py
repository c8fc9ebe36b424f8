"""Who may call an operation at all, by role (403 otherwise). Which objects they see is each viewset's
`get_queryset` (404 otherwise); what they may do to one object is the service's `by=` check."""

from rest_framework.permissions import BasePermission

from accounts.authority import is_ars_staff, is_doctor, site_ids


class IsArsStaff(BasePermission):
    message = "Réservé à l'équipe de l'ARS."

    def has_permission(self, request, view) -> bool:
        return is_ars_staff(request.user)


class IsDoctor(BasePermission):
    message = "Réservé aux médecins volontaires."

    def has_permission(self, request, view) -> bool:
        return is_doctor(request.user)


class IsSiteMemberOrArsStaff(BasePermission):
    message = "Réservé aux lieux d'accueil et à l'équipe de l'ARS."

    def has_permission(self, request, view) -> bool:
        return is_ars_staff(request.user) or bool(site_ids(request.user))


class IsDoctorOrArsStaff(BasePermission):
    message = "Réservé aux médecins volontaires et à l'équipe de l'ARS."

    def has_permission(self, request, view) -> bool:
        return is_ars_staff(request.user) or is_doctor(request.user)


class IsBookingParty(BasePermission):
    """The roles that take part in a booking: the doctor, the host site, ARS staff (not a CPAM agent)."""

    message = "Réservé aux médecins, aux lieux d'accueil et à l'équipe de l'ARS."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return is_ars_staff(user) or is_doctor(user) or bool(site_ids(user))
