"""Template helpers for allauth's pages in the product's look (templates/allauth/elements/).

allauth renders every form through its ``fields`` element; ours lays each field out with a
visible label, its help text and its errors tied to the input (Django's ``aria-describedby`` and
``aria-invalid``), and puts the cursor in the field the person has to type in first.
"""

from __future__ import annotations

from django import forms, template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()


def focus_target(form: forms.BaseForm) -> str | None:
    """The name of the field to focus: the first one in error, else the first one to fill in."""
    visible = [f for f in form.visible_fields() if not f.field.disabled]
    if not visible:
        return None
    if form.is_bound:
        for field in visible:
            if field.errors:
                return field.name
    # A checkbox first (allauth's "passwordless" comes after the name) is no place to start.
    typed = [f for f in visible if not isinstance(f.field.widget, forms.CheckboxInput)]
    return (typed or visible)[0].name


@register.simple_tag
def signin_widget(field: BoundField, focus: str | None = None) -> SafeString:
    """The field's input, with ``autofocus`` when it is the one to start with."""
    attrs = {"autofocus": True} if focus and field.name == focus else {}
    return field.as_widget(attrs=attrs)


@register.simple_tag
def signin_focus(form: forms.BaseForm | None) -> str | None:
    return focus_target(form) if form is not None else None


@register.filter
def is_checkbox(field: BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)
