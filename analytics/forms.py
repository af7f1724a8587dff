from django import forms
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from academy.organisation.selectors import region_drill_choices
from courses.models import PlanStatus

from . import selectors
from .models import ExportJob

TIER_CHOICES = [(kind.value, kind.label) for kind in selectors.TIERS]
YEAR_RANGE = (2000, 2100)


class AssignmentFilterForm(forms.Form):
    """The untrained list's filters, also the filters of its export. ``region`` takes any region in the
    viewer's scope (the coverage pages link to townships and villages); the select drills down, offering the
    way to the region chosen and the level below it (a nation's thousands of counties make no select)."""

    tier = forms.ChoiceField(label=_("Tier"), required=False, choices=[("", _("All tiers")), *TIER_CHOICES])
    year = forms.IntegerField(label=_("Year"), min_value=YEAR_RANGE[0], max_value=YEAR_RANGE[1])
    region = forms.ChoiceField(label=_("Region"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[
            (selectors.NOT_COMPLETED, _("Not yet trained")), *PlanStatus.choices, (selectors.ANY_STATUS, _("Everyone")),
        ],
    )
    sort = forms.ChoiceField(required=False, widget=forms.HiddenInput, choices=[(key, key) for key in selectors.ASSIGNMENT_ORDERINGS])

    FIELDS = ("tier", "year", "region", "status", "sort")

    def __init__(self, data, *, scope, year: int):
        data = data.copy()
        data.setdefault("year", str(year))
        super().__init__(data)
        self.scope = scope
        choices = region_drill_choices(scope=scope, code=data.get("region", ""))
        self.fields["region"].choices = [("", _("All of my area")), *choices]

    def list_arguments(self) -> dict:
        """Keyword arguments for selectors.assignments_list."""
        data = self.cleaned_data
        return {
            "year": data["year"], "post_kind": data["tier"], "region_code": data["region"],
            "status": data["status"], "sort": data["sort"] or "name",
        }

    def query_string(self, **changes) -> str:
        values = {name: self.cleaned_data.get(name) or "" for name in self.FIELDS}
        values.update(changes)
        return urlencode({name: value for name, value in values.items() if value != ""})

    def sort_query(self, key: str) -> str:
        """The query string sorting by ``key``, or by its reverse when the list is sorted by it already."""
        current = self.cleaned_data.get("sort") or "name"
        return self.query_string(sort=f"-{key}" if current == key else key)


class ExportForm(forms.Form):
    kind = forms.ChoiceField(choices=ExportJob.Kind.choices)
    file_format = forms.ChoiceField(choices=ExportJob.Format.choices)
