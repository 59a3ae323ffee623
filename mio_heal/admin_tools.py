"""Admin helpers: bounded counts for big tables, masked secrets, and saves that write only what
the operator edited on rows the workers also write."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db.models import Model
from django.http import HttpRequest


class CappedCountPaginator(Paginator):
    """Counts at most ``CAP`` rows, so a changelist over millions of rows stays cheap.

    ``SELECT COUNT(*) FROM (… LIMIT CAP+1)`` does bounded work on every database; past the cap
    the admin shows the first CAP rows' pages and the filters narrow the rest.
    """

    CAP = 10_000

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        return self.object_list.values("pk")[: self.CAP + 1].count()


def mask(value: object) -> str:
    return "•••••• (encrypted)" if value else "—"


class EditedFieldsForm(forms.ModelForm):
    """Each field also posts the value the operator was shown (``initial-<name>``), so
    ``changed_data`` means "edited in this form", not "differs from the row as it is now": a
    value a worker wrote after the page opened is not mistaken for the operator's edit."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.show_hidden_initial = True


class SavesEditedFieldsOnly:
    """A ModelAdmin mixin for rows the workers write while an operator has the form open
    (credentials, accounts, incidents, messages): a change writes only the columns the operator
    edited (plus ``auto_now`` ones). A full save would put back everything the request read
    over what a worker stored meanwhile: a rotated refresh token, which exists nowhere else, an
    incident's status, a message's delivery state."""

    form = EditedFieldsForm

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        if not change:
            obj.save()
            return
        fields = obj._meta.concrete_fields
        columns = {f.name for f in fields}
        edited = [name for name in form.changed_data if name in columns]
        if edited:
            stamped = [f.name for f in fields if getattr(f, "auto_now", False)]
            obj.save(update_fields=[*edited, *stamped])
