"""The admin is a door like any other: every ModelAdmin and inline asks accounts.authority, and only it.

`ScopedAdminMixin` (ModelAdmin) and `ScopedInlineMixin` (inlines) put each of the admin's questions to authority:

- which rows: `get_queryset` is `authority.visible`; an object outside it is absent from lists and a 404 on its
  change, delete, history and history-version pages (never a 403 that confirms it exists);
- which permissions: `authority.admin_permissions` AND the admin's own restrictions (a ModelAdmin that says
  « never deleted » stays so for superusers too);
- which choices: foreign-key and many-to-many fields, related list filters and autocompletes offer
  `authority.offered` (what one may see, and of national reference data one's region's part); a current value
  outside it is kept as it is, never offered;
- which actions: Django offers an action on the changelist's (visible) rows only; actions that call a service
  declare `permissions=["service"]` (ARS staff who may view the model), and the service checks each object;
- no revert: the history of an object is read-only (SIMPLE_HISTORY_REVERT_DISABLED, and a POST to a version's
  page is refused), every state change goes through a service;
- the trail: a changelist or an autocomplete search of personal records (accounts.audit.BULK_AUDITED) writes
  who, when, the query string and how many records it showed.
"""

from datetime import date
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.admin import helpers
from django.contrib.admin.filters import AllValuesFieldListFilter, RelatedFieldListFilter, RelatedOnlyFieldListFilter
from django.contrib.admin.options import TO_FIELD_VAR
from django.contrib.admin.utils import NotRelationField, get_fields_from_path, unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import DateField, Q
from django.http import Http404
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext

from accounts import authority
from accounts.audit import BULK_AUDITED, record_bulk_access
from core.search import fold_term

if TYPE_CHECKING:  # the mixins are typed as what they are mixed into (at run time they derive from object)
    from django.contrib.admin.options import BaseModelAdmin, InlineModelAdmin, ModelAdmin

    _AdminBase = BaseModelAdmin[Any]
    _ModelAdminBase = ModelAdmin[Any]
    _InlineBase = InlineModelAdmin[Any, Any]
else:
    _AdminBase = _ModelAdminBase = _InlineBase = object

# --- list filters ------------------------------------------------------------------------------------------------


class ScopedRelatedFieldListFilter(RelatedFieldListFilter):
    """A related filter lists only what the person is offered (their region's zones, departments…)."""

    title_override = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.title_override:
            self.title = self.title_override

    def field_choices(self, field, request, model_admin):
        if authority.is_superuser(request.user):
            return super().field_choices(field, request, model_admin)
        ordering = self.field_admin_ordering(field, request, model_admin)
        offered = authority.offered(request.user, field.related_model).values("pk")
        return field.get_choices(include_blank=False, limit_choices_to=Q(pk__in=offered), ordering=ordering)


class ScopedRelatedOnlyFieldListFilter(RelatedOnlyFieldListFilter):
    """The related objects of the visible rows, and of those only what the person is offered."""

    def field_choices(self, field, request, model_admin):
        if authority.is_superuser(request.user):
            return super().field_choices(field, request, model_admin)
        used = model_admin.get_queryset(request).distinct().values_list(f"{self.field_path}__pk", flat=True)
        offered = authority.offered(request.user, field.related_model).values("pk")
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(
            include_blank=False, limit_choices_to=Q(pk__in=used) & Q(pk__in=offered), ordering=ordering
        )


class MonthListFilter(AllValuesFieldListFilter):
    """A month field (a date on the 1st) is filtered by the months present, « novembre 2026 », latest first; not by
    « aujourd'hui » or « les 7 derniers jours » as a date field would be."""

    def choices(self, changelist):
        choices = list(super().choices(changelist))
        everything, months = choices[:1], [c for c in choices[1:] if isinstance(c["display"], date)]
        yield from everything
        for choice in sorted(months, key=lambda c: c["display"], reverse=True):
            yield {**choice, "display": date_format(choice["display"], "F Y")}


def titled(spec: str, title: str) -> tuple[str, type]:
    """A related filter (scoped like the others) under its own title: two filters on departments say which."""
    return (spec, type("TitledFilter", (ScopedRelatedFieldListFilter,), {"title_override": title}))


def _scoped_filter(model, spec):
    """The same list filter, its related choices asked of authority; a month field filtered by month."""
    if isinstance(spec, str):
        try:
            last = get_fields_from_path(model, spec)[-1]
        except (FieldDoesNotExist, NotRelationField):
            return spec
        if last.name == "month" and isinstance(last, DateField):
            return (spec, MonthListFilter)
        return (spec, ScopedRelatedFieldListFilter) if last.is_relation else spec
    if isinstance(spec, (list, tuple)) and len(spec) == 2 and isinstance(spec[1], type):
        if issubclass(spec[1], RelatedOnlyFieldListFilter):
            return (spec[0], ScopedRelatedOnlyFieldListFilter)
        if spec[1] is RelatedFieldListFilter:
            return (spec[0], ScopedRelatedFieldListFilter)
    return spec


# --- form fields -------------------------------------------------------------------------------------------------


def _offered_only(formfield, request):
    if formfield is not None and hasattr(formfield, "queryset") and not authority.is_superuser(request.user):
        formfield.queryset = authority.offered(request.user, formfield.queryset)
    return formfield


class KeepsWhatItDoesNotOffer:
    """Mixed into a change form (ScopedAdminMixin.get_form): the choices of a relation are what the person is
    offered; the object's current values outside them (a doctor's zone in another region, their practice commune
    there) stay as they are: neither offered to pick, nor dropped when the form is saved."""

    _kept: dict[str, list[Any]]  # field name → the pks of its current values the person is not offered

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._kept = {}
        relations = {f.name: f for f in self.instance._meta.get_fields() if f.is_relation and f.concrete}
        for name, field in self.fields.items():
            if name not in relations or not isinstance(field, forms.ModelChoiceField):
                continue
            if isinstance(field, forms.ModelMultipleChoiceField):
                current = getattr(self.instance, name).exclude(pk__in=field.queryset.values("pk"))
                self._kept[name] = list(current.values_list("pk", flat=True))
                continue
            value = getattr(self.instance, relations[name].attname)
            if value is not None:
                field.queryset = field.queryset | field.queryset.model._default_manager.filter(pk=value)
                inner = getattr(field.widget, "widget", None)  # inside the admin's related-field wrapper
                if inner is not None:
                    inner.choices = field.choices

    def clean(self):
        data = super().clean()
        for name, kept in self._kept.items():
            if kept and data.get(name) is not None:
                manager = self.fields[name].queryset.model._default_manager
                data[name] = manager.filter(Q(pk__in=[obj.pk for obj in data[name]]) | Q(pk__in=kept))
        return data


# --- the mixins --------------------------------------------------------------------------------------------------


def _is_autocomplete(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and match.url_name == "autocomplete"


class _Scoped(_AdminBase):
    """What a ModelAdmin and an inline both ask authority."""

    def _grants(self, request, act: str) -> bool:
        return authority.admin_permissions(request.user, self.model)[act]

    def get_queryset(self, request):
        """What the person may see, in a model the admin lets them view: otherwise nothing (their object pages
        are then 404, like any object outside their scope)."""
        if not self._grants(request, "view"):
            return super().get_queryset(request).none()
        return authority.visible(request.user, super().get_queryset(request))

    def has_view_permission(self, request, obj=None):
        return self._grants(request, "view") and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._grants(request, "change") and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._grants(request, "delete") and super().has_delete_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return _offered_only(super().formfield_for_foreignkey(db_field, request, **kwargs), request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return _offered_only(super().formfield_for_manytomany(db_field, request, **kwargs), request)


class LinkedChangeList(ChangeList):
    """Django's changelist, each row's link written from one `reverse` a page rather than one a row (a twentieth
    of a page of 50 bookings, issue #20 round 3): the same URL for an integer key, Django's own otherwise."""

    def url_for_result(self, result):
        pk = getattr(result, self.pk_attname)
        if type(pk) is not int:
            return super().url_for_result(result)
        template = self.__dict__.get("_change_url")
        if template is None:
            template = self._change_url = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                args=(_PK_MARK,),
                current_app=self.model_admin.admin_site.name,
            )
        return template.replace(_PK_MARK, str(pk))


_PK_MARK = "__pk__"


class ScopedAdminMixin(_Scoped, _ModelAdminBase):
    """Put first in a ModelAdmin's bases: `class ZoneAdmin(ScopedAdminMixin, admin.ModelAdmin)`."""

    def get_changelist(self, request, **kwargs):
        changelist = super().get_changelist(request, **kwargs)
        return LinkedChangeList if changelist is ChangeList else changelist

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)  # by keyword: UserAdmin takes it so
        if obj is None or authority.is_superuser(request.user):
            return form
        return type(form.__name__, (KeepsWhatItDoesNotOffer, form), {})

    def has_add_permission(self, request):
        return self._grants(request, "add") and super().has_add_permission(request)

    def has_module_permission(self, request):
        return self._grants(request, "view") and super().has_module_permission(request)

    def has_service_permission(self, request) -> bool:
        """Actions that call a service (`permissions=["service"]`): ARS staff who may see the model. The service
        then checks each object (`authority.require`) and says no in French."""
        return authority.is_ars_staff(request.user) and self.has_view_permission(request)

    def get_list_filter(self, request):
        return [_scoped_filter(self.model, spec) for spec in super().get_list_filter(request)]

    def get_search_fields(self, request):
        """Every plain search field compared folded (core/search.py): accents, case and hyphens do not count."""
        return [
            name if name[:1] in "^=@" or name.endswith("__fold") else f"{name}__fold"
            for name in super().get_search_fields(request)
        ]

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, fold_term(search_term))
        if _is_autocomplete(request):
            queryset = authority.offered(request.user, queryset)
            if search_term and self.model._meta.label_lower in BULK_AUDITED:
                record_bulk_access(
                    user=request.user,
                    object_type=self.model._meta.label_lower,
                    view_name="admin:autocomplete",
                    path=request.path,
                    query=request.GET.urlencode(),
                    count=queryset.count(),
                )
        return queryset, may_have_duplicates

    # -- objects outside the scope: 404, before any permission answer ----------------------------------------

    def _in_scope_or_404(self, request, object_id) -> None:
        to_field = request.POST.get(TO_FIELD_VAR, request.GET.get(TO_FIELD_VAR))
        if to_field and not self.to_field_allowed(request, to_field):
            return  # Django refuses the field next (DisallowedModelAdminToField)
        if self.get_object(request, unquote(object_id), to_field) is None:
            raise Http404

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._in_scope_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._in_scope_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._in_scope_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """A past version (django-simple-history) may be read, never restored: a revert would move a booking, a
        doctor or a statement back without the service of that transition."""
        self._in_scope_or_404(request, object_id)
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return True

    # -- bulk reads leave a trace ----------------------------------------------------------------------------------

    def get_changelist_form(self, request, **kwargs):
        """Fields edited in a list (a zone's target) are labelled for screen readers: field and row."""
        form = super().get_changelist_form(request, **kwargs)

        class Labelled(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                for field in self.fields.values():
                    field.widget.attrs.setdefault("aria-label", f"{capfirst(str(field.label))} — {self.instance}")

        return Labelled

    def action_checkbox(self, obj):
        """The row's selection box, written as Django's CheckboxInput writes it, without rendering the widget's
        three templates for each of the 50 rows of a page (a fifth of a changelist's CPU at national scale)."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            format_html(gettext("Select this object for an action - {}"), str(obj)),
        )

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:  # Django's French agrees with no gender: « les zones sélectionnés »
            function, name, _ = actions["delete_selected"]
            actions["delete_selected"] = (function, name, "Supprimer la sélection")
        return actions

    def changelist_view(self, request, extra_context=None):
        # The list's title is what it lists (« Médecins »), not « Sélectionnez l'objet médecin à changer ».
        extra_context = {"title": capfirst(self.model._meta.verbose_name_plural), **(extra_context or {})}
        response = super().changelist_view(request, extra_context)
        label = self.model._meta.label_lower
        cl = (getattr(response, "context_data", None) or {}).get("cl")
        if cl is not None and label in BULK_AUDITED:
            record_bulk_access(
                user=request.user,
                object_type=label,
                view_name=request.resolver_match.view_name,
                path=request.path,
                query=request.GET.urlencode(),
                count=cl.result_count,
            )
        return response


class ScopedInlineMixin(_Scoped, _InlineBase):
    """Put first in an inline's bases: `class BookingInline(ScopedInlineMixin, admin.TabularInline)`."""

    def has_add_permission(self, request, obj=None):
        return self._grants(request, "add") and super().has_add_permission(request, obj)
