"""Template filters of core.words: {% load words %} then {{ reason|sentence }}, {{ site.name|at_place }}."""

from django import template

from core import words

register = template.Library()


@register.filter
def sentence(text: str) -> str:
    return words.sentence(str(text or ""))


@register.filter
def at_place(name: str) -> str:
    return words.at_place(str(name or ""))
