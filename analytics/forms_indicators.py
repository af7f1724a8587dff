"""The form on which the province administrator records a year's values of the plan's recorded indicators:
one value and one note per indicator. An empty value means nothing recorded for that year."""
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .indicators import indicator_label
from .models import Indicator, IndicatorValue


def _plain(value: Decimal | None) -> str:
    """A stored value as the admin typed it: 21000, not 21000.00."""
    if value is None:
        return ""
    return format(value.normalize(), "f")


class IndicatorValuesForm(forms.Form):
    def __init__(self, *args, indicators: list[Indicator], year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicators = indicators
        self.year = year
        existing = {
            value.indicator_id: value for value in IndicatorValue.objects.filter(indicator__in=indicators, year=year)
        }
        unit_labels = dict(Indicator.Unit.choices)
        for indicator in indicators:
            entry = existing.get(indicator.pk)
            value = forms.DecimalField(
                label=indicator_label(indicator.key), required=False, min_value=0, max_digits=12, decimal_places=2,
                max_value=100 if indicator.unit == Indicator.Unit.PERCENT else None,
                initial=_plain(entry.value) if entry else "",
                help_text=_(
                    "Unit: %(unit)s. 2020 baseline: %(baseline)s; targets: %(target_2022)s in 2022, "
                    "%(target_2025)s in 2025."
                )
                % {
                    "unit": unit_labels[indicator.unit], "baseline": _plain(indicator.baseline_2020) or "—",
                    "target_2022": _plain(indicator.target_2022) or "—",
                    "target_2025": _plain(indicator.target_2025) or "—",
                },
            )
            value.widget.attrs.update({"inputmode": "decimal", "step": "any"})
            self.fields[self.value_name(indicator)] = value
            self.fields[self.note_name(indicator)] = forms.CharField(
                label=_("Remarks"), required=False, max_length=300, initial=entry.note if entry else "",
                help_text=_("Where the figure comes from, or anything a reader should know."),
            )

    @staticmethod
    def value_name(indicator: Indicator) -> str:
        return f"value_{indicator.key}"

    @staticmethod
    def note_name(indicator: Indicator) -> str:
        return f"note_{indicator.key}"

    def clean(self):
        cleaned = super().clean()
        for indicator in self.indicators:
            value, note = cleaned.get(self.value_name(indicator)), cleaned.get(self.note_name(indicator))
            if value is None and note and self.value_name(indicator) not in self.errors:
                self.add_error(self.value_name(indicator), _("Enter a value for this note, or clear the note."))
        return cleaned

    def rows(self):
        """Each indicator's value and note fields, for the template."""
        return [(self[self.value_name(indicator)], self[self.note_name(indicator)]) for indicator in self.indicators]

    def values(self) -> dict[str, tuple[Decimal | None, str]]:
        """Indicator key -> (value or None, note), for indicator_values_save."""
        return {
            indicator.key: (self.cleaned_data[self.value_name(indicator)], self.cleaned_data[self.note_name(indicator)])
            for indicator in self.indicators
        }
