"""Who someone is, derived from memberships. One user may hold several roles."""

from django.contrib.auth.models import Group, Permission

ARS_GROUP = "Équipe ARS"
ARS_APPS = ["accounts", "sites", "missions", "billing", "notifications", "authtoken"]


def is_ars_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def is_doctor(user) -> bool:
    return bool(user and user.is_authenticated and hasattr(user, "doctor"))


def site_ids(user) -> set[int]:
    if not (user and user.is_authenticated):
        return set()
    return set(user.site_memberships.values_list("site_id", flat=True))


def cpam_ids(user) -> set[int]:
    if not (user and user.is_authenticated):
        return set()
    return set(user.cpam_memberships.values_list("cpam_id", flat=True))


def ensure_ars_group() -> Group:
    """The admin permissions ARS staff hold: every model of the product (kept in step after each migrate)."""
    group, _ = Group.objects.get_or_create(name=ARS_GROUP)
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=ARS_APPS))
    return group
