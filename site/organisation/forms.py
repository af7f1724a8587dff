"""Forms of the management pages. They check input, including that every chosen region and institution
lies in the administrator's scope; the writes themselves go through services.py."""
import re
from urllib.parse import urlencode

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from academy.accounts import phone as mobile_numbers
from academy.accounts.services import account_claimed, account_phone_taken
from academy.audit.models import AuditAction
from academy.widgets import DateInput

from . import resident_id
from .models import (
    INSTITUTION_POSTS, Institution, InstitutionKind, Person, PostKind, ProfessionalCategory, Region, RunLevel,
    Sex,
)
from .rules import post_place_error
from .scope import Scope
from .selectors import FILTER_LEVELS, region_path_label

# What a typed search looks like: 17 digits and a check character is a resident ID number.
_ID_NUMBER_SHAPE = re.compile(r"^\d{17}[\dXx]$")


def _searches_number(text: str) -> bool:
    return bool(_ID_NUMBER_SHAPE.match(text)) or mobile_numbers.is_valid(text)


class PersonFilterForm(forms.Form):
    """The people list's search and filters. A search for a resident ID number or a mobile number is
    accepted only when posted (``posted``), so the number never travels in a page address, a server log
    or the history."""

    CURRENT, ALL = "", "all"

    q = forms.CharField(
        label=_("Name, mobile number or resident ID number"), required=False, max_length=50,
        help_text=_("Part of a name is enough; numbers must be whole."),
    )
    kind = forms.ChoiceField(label=_("Post"), required=False, choices=[("", _("All posts")), *PostKind.choices])
    region = forms.ChoiceField(label=_("Region"), required=False)
    held = forms.ChoiceField(
        label=_("Posts"), required=False,
        choices=[(CURRENT, _("Current posts only")), (ALL, _("Current and ended posts"))],
    )
    sort = forms.ChoiceField(
        required=False, widget=forms.HiddenInput, choices=[("", _("Name A-Z")), ("-name", _("Name Z-A"))]
    )

    def __init__(self, *args, region_choices: list[tuple[str, str]], posted: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.posted = posted
        self.fields["region"].choices = [("", _("All of my area")), *region_choices]

    def clean_q(self) -> str:
        text = self.cleaned_data["q"].strip()
        if _searches_number(text) and not self.posted:
            raise forms.ValidationError(
                _("Search for a resident ID number or a mobile number with the search button.")
            )
        if _ID_NUMBER_SHAPE.match(text):
            error = resident_id.validation_error(text)
            if error:
                raise forms.ValidationError(error)
        return text

    def searches_number(self) -> bool:
        """Whether the search is for an ID number or a mobile number, which stay out of addresses."""
        return _searches_number(self.cleaned_data.get("q", ""))

    def search_arguments(self) -> dict:
        """Keyword arguments for selectors.people_search."""
        text = self.cleaned_data["q"]
        arguments = {
            "post_kind": self.cleaned_data["kind"],
            "region_code": self.cleaned_data["region"],
            "current_only": self.cleaned_data["held"] != self.ALL,
            "descending": self.cleaned_data["sort"] == "-name",
        }
        if _ID_NUMBER_SHAPE.match(text):
            arguments["id_number"] = text
        elif mobile_numbers.is_valid(text):
            arguments["mobile"] = mobile_numbers.normalise(text)
        else:
            arguments["name"] = text
        return arguments

    def query_string(self, **changes) -> str:
        """The filters as a query string for links (pages, sorting, export); never an ID or mobile number."""
        values = {name: self.cleaned_data.get(name, "") for name in ("q", "kind", "region", "held", "sort")}
        if self.searches_number():
            values["q"] = ""
        values.update(changes)
        return urlencode({name: value for name, value in values.items() if value})


class PersonForm(forms.Form):
    """A person's own details. ``instance`` is only read: the view saves through services."""

    name = forms.CharField(label=_("Name"), max_length=50)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    mobile = forms.CharField(
        label=_("Mobile number"), max_length=20, required=False, widget=mobile_numbers.widget()
    )
    professional_category = forms.ChoiceField(label=_("Professional category"), choices=ProfessionalCategory.choices)

    def __init__(self, *args, instance: Person, can_edit_id_number: bool, **kwargs):
        kwargs.setdefault("initial", {
            "name": instance.name,
            "sex": instance.sex,
            "mobile": instance.mobile,
            "professional_category": instance.professional_category,
        })
        super().__init__(*args, **kwargs)
        self.instance = instance
        if can_edit_id_number:
            self.fields["id_number"] = forms.CharField(
                label=_("Resident ID number"), max_length=32, initial=instance.id_number
            )

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean_mobile(self) -> str:
        number = mobile_numbers.normalise(self.cleaned_data["mobile"])
        if not number:
            if self.instance.mobile and account_claimed(person=self.instance):
                raise forms.ValidationError(
                    _("%(name)s signs in with this number: it can be replaced, not removed.")
                    % {"name": self.instance.name}
                )
            return ""
        mobile_numbers.validate(number)
        if account_phone_taken(phone=number, person=self.instance):
            raise forms.ValidationError(_("This mobile number already signs in to another account."))
        return number

    def clean_id_number(self) -> str:
        number = resident_id.normalise(self.cleaned_data["id_number"])
        error = resident_id.validation_error(number)
        if error:
            raise forms.ValidationError(error)
        taken = Person.objects.filter(id_number_digest__in=resident_id.lookup_digests(number))
        taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("Another person already has this resident ID number."))
        return number


class InstitutionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, institution: Institution) -> str:
        return f"{institution.name} ({region_path_label(institution.region)})"


class PostAddForm(forms.Form):
    """A new post for a person: a township or village by its division code, or an institution, both
    limited to the administrator's scope."""

    kind = forms.ChoiceField(label=_("Post"), choices=[("", "---------"), *PostKind.choices])
    region = forms.CharField(
        label=_("Township or village code"), required=False, max_length=12,
        help_text=_(
            "For a child supervisor the 9-digit township code, for a child director the 12-digit village "
            "code; the Regions pages list them."
        ),
    )
    institution = InstitutionChoiceField(label=_("Institution"), required=False, queryset=Institution.objects.none())
    start_date = forms.DateField(label=_("Start date"), widget=DateInput())
    end_date = forms.DateField(
        label=_("End date"), required=False, widget=DateInput(), help_text=_("Leave empty while the post is held.")
    )

    def __init__(self, *args, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.fields["institution"].queryset = scope.institutions(Institution.objects.select_related("region__parent"))

    def clean_region(self) -> Region | None:
        code = self.cleaned_data["region"].strip()
        if not code:
            return None
        region = self.scope.regions(Region.objects.filter(code=code)).first()
        if region is None:
            raise forms.ValidationError(_("There is no region with code %(code)s in your area.") % {"code": code})
        return region

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind and "region" in cleaned and "institution" in cleaned:
            # An institution post's region is the institution's, so a typed code is not used for it.
            region = None if kind in INSTITUTION_POSTS else cleaned["region"]
            error = post_place_error(kind, region, cleaned["institution"])
            if error:
                self.add_error("institution" if kind in INSTITUTION_POSTS else "region", error)
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("A post cannot end before it starts."))
        return cleaned

    def post_arguments(self) -> dict:
        """Keyword arguments for services.post_open."""
        kind = self.cleaned_data["kind"]
        return {
            "kind": kind,
            "region": None if kind in INSTITUTION_POSTS else self.cleaned_data["region"],
            "institution": self.cleaned_data["institution"] if kind in INSTITUTION_POSTS else None,
            "start_date": self.cleaned_data["start_date"],
            "end_date": self.cleaned_data["end_date"],
        }


class PostCloseForm(forms.Form):
    end_date = forms.DateField(label=_("Last day in the post"), widget=DateInput())

    def __init__(self, *args, post, **kwargs):
        super().__init__(*args, **kwargs)
        self.post = post

    def clean_end_date(self):
        end_date = self.cleaned_data["end_date"]
        if end_date < self.post.start_date:
            raise forms.ValidationError(_("A post cannot end before it starts."))
        return end_date


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, region: Region) -> str:
        return region_path_label(region)


class InstitutionFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("All types")), *InstitutionKind.choices])
    region = forms.ChoiceField(label=_("Region"), required=False)

    def __init__(self, *args, region_choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", _("All of my area")), *region_choices]

    def query_string(self) -> str:
        return urlencode({name: value for name, value in self.cleaned_data.items() if value})


class InstitutionForm(forms.ModelForm):
    """Run levels and regions are limited to what the administrator manages, so a saved institution is
    always one they can still see."""

    class Meta:
        model = Institution
        fields = ["name", "code", "kind", "run_level", "region"]
        field_classes = {"region": RegionChoiceField}

    def __init__(self, *args, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["run_level"].choices = [
            (value, label) for value, label in RunLevel.choices if value in scope.run_levels
        ]
        self.fields["region"].queryset = scope.regions(
            Region.objects.filter(level__in=FILTER_LEVELS).select_related("parent")
        ).order_by("code")


class RegionNameForm(forms.ModelForm):
    class Meta:
        model = Region
        fields = ["name"]


class VillageForm(forms.Form):
    """A village or community under a township: its code is the township's code and three digits."""

    code_suffix = forms.RegexField(
        label=_("Last three digits of the code"), regex=r"^(?!000)\d{3}$", max_length=3,
        error_messages={"invalid": _("Enter three digits, from 001 to 999.")},
        help_text=_("The village code is the township code followed by these three digits."),
    )
    # "Name" of a place (名称), not of a person (姓名).
    name = forms.CharField(label=pgettext_lazy("place", "Name"), max_length=100)

    def __init__(self, *args, township: Region, **kwargs):
        super().__init__(*args, **kwargs)
        self.township = township

    def clean_code_suffix(self) -> str:
        code = self.township.code + self.cleaned_data["code_suffix"]
        existing = Region.objects.filter(code=code).first()
        if existing is not None:
            raise forms.ValidationError(
                _("Code %(code)s already belongs to %(name)s.") % {"code": code, "name": existing.name}
            )
        return self.cleaned_data["code_suffix"]

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def village_code(self) -> str:
        return self.township.code + self.cleaned_data["code_suffix"]


class AuditFilterForm(forms.Form):
    """The audit trail's filters: who, what, when, where. A mobile number or email address as "who" is
    accepted only when posted (``allow_contact``) and is then replaced by the account's id, so it never
    travels in a page address, a server log or the history."""

    who = forms.CharField(
        label=_("Who"), required=False, max_length=150,
        help_text=_("Part of a name, or a whole mobile number or email address."),
    )
    actor = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    action = forms.ChoiceField(label=_("What"), required=False, choices=[("", _("Every action")), *AuditAction.choices])
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("To"), required=False, widget=DateInput())
    region = forms.ChoiceField(label=_("Region"), required=False)

    def __init__(self, *args, region_choices: list[tuple[str, str]], allow_contact: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.allow_contact = allow_contact
        self.fields["region"].choices = [("", _("Every region")), *region_choices]

    @staticmethod
    def _is_contact(text: str) -> bool:
        return "@" in text or mobile_numbers.is_valid(text)

    def clean_who(self) -> str:
        text = self.cleaned_data["who"].strip()
        if self._is_contact(text) and not self.allow_contact:
            raise forms.ValidationError(_("Search for a mobile number or email address with the search button."))
        return text

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date is before the start date."))
        text = cleaned.get("who", "")
        if self._is_contact(text):
            if "@" in text:
                account = get_user_model().objects.filter(email__iexact=text).first()
            else:
                account = get_user_model().objects.filter(phone=mobile_numbers.normalise(text)).first()
            if account is None:
                self.add_error("who", _("No account has this mobile number or email address."))
            else:
                cleaned["actor"], cleaned["who"] = account.pk, ""
        return cleaned

    def search_arguments(self) -> dict:
        """Keyword arguments for academy.audit.selectors.audit_entries."""
        return {
            "actor_id": self.cleaned_data["actor"],
            "actor_name": self.cleaned_data["who"],
            "action": self.cleaned_data["action"],
            "since": self.cleaned_data["since"],
            "until": self.cleaned_data["until"],
            "region_code": self.cleaned_data["region"],
        }

    def filters(self) -> dict:
        """The filters in use, as text: for links and for the audit entry of an export. Never a mobile number
        or email address (the account's id stands for it)."""
        values = {name: self.cleaned_data.get(name) for name in ("who", "actor", "action", "since", "until", "region")}
        return {name: value.isoformat() if hasattr(value, "isoformat") else str(value)
                for name, value in values.items() if value}

    def query_string(self, **changes) -> str:
        return urlencode({name: value for name, value in {**self.filters(), **changes}.items() if value})
