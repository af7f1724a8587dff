"""Forms of the face-to-face session and training plan pages. They check input; the writes go through
courses/sessions.py and courses/plans.py."""
from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from academy.accounts import phone as mobile_numbers
from academy.organisation.models import Person, PostKind, Region
from academy.organisation.scope import Scope
from academy.widgets import DateInput, DateTimeLocalInput

from .models import Attendance, CoursePage, TrainingPlan, TrainingSession
from .plans import plan_defaults
from .sessions import AttendanceMark

MAX_ENROLMENT_FILE_BYTES = 2 * 1024 * 1024


class CourseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, course: CoursePage) -> str:
        return course.title


class SessionForm(forms.ModelForm):
    """A session's details. The topic and credit hours may be left empty when a course is chosen: they are
    then the course's. ``organiser_choices`` (for system administrators, on creation) adds the choice of
    the organising region; everyone else organises in their own region."""

    class Meta:
        model = TrainingSession
        fields = ["course", "title", "description", "starts_at", "ends_at", "venue", "capacity", "credit_hours"]
        field_classes = {"course": CourseChoiceField}
        widgets = {
            "starts_at": DateTimeLocalInput(),
            "ends_at": DateTimeLocalInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
            "capacity": forms.NumberInput(attrs={"inputmode": "numeric", "min": 1}),
            "credit_hours": forms.NumberInput(attrs={"inputmode": "decimal", "min": 0, "step": "any"}),
        }
        help_texts = {
            "title": _("Empty: the course's title."),
            "credit_hours": _("The credit hours given to each person present. Empty: the course's credit hours."),
            "capacity": _("Nobody can be enrolled beyond it."),
        }

    def __init__(self, *args, organiser_choices: list[tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = CoursePage.objects.live().order_by("title")
        self.fields["course"].empty_label = _("No course: a topic of its own")
        self.fields["title"].required = False
        self.fields["credit_hours"].required = False
        if organiser_choices is not None:
            self.fields = {
                "organiser_region": forms.ChoiceField(label=_("Organiser"), choices=organiser_choices),
                **self.fields,
            }

    def clean_organiser_region(self) -> Region:
        return Region.objects.get(code=self.cleaned_data["organiser_region"])

    def clean(self):
        cleaned_data = super().clean()
        course = cleaned_data.get("course")
        if not cleaned_data.get("title"):
            if course is None:
                self.add_error("title", _("Give a topic or choose a course."))
            else:
                cleaned_data["title"] = self.instance.title = course.title
        if cleaned_data.get("credit_hours") is None and "credit_hours" not in self.errors:
            if course is None:
                self.add_error("credit_hours", _("Give the credit hours or choose a course."))
            else:
                cleaned_data["credit_hours"] = self.instance.credit_hours = course.credit_hours
        starts_at, ends_at = cleaned_data.get("starts_at"), cleaned_data.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", _("The session must end after it starts."))
        return cleaned_data

    def service_arguments(self) -> dict:
        """Keyword arguments for sessions.session_create / session_update."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class EnrolmentSearchForm(forms.Form):
    """Find people to enrol among the organiser's people."""

    q = forms.CharField(label=_("Name or mobile number"), required=False, max_length=50)
    kind = forms.ChoiceField(label=_("Post"), required=False, choices=[("", _("All posts")), *PostKind.choices])
    region = forms.ChoiceField(label=_("Region"), required=False)

    def __init__(self, *args, region_choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", _("All of the organiser's area")), *region_choices]

    def search_arguments(self) -> dict:
        """Keyword arguments for organisation.selectors.people_search."""
        text = self.cleaned_data["q"].strip()
        arguments = {"post_kind": self.cleaned_data["kind"], "region_code": self.cleaned_data["region"]}
        if mobile_numbers.is_valid(text):
            arguments["mobile"] = mobile_numbers.normalise(text)
        else:
            arguments["name"] = text
        return arguments


class EnrolmentPickForm(forms.Form):
    """The people ticked in the search results; only people of the organiser's scope are valid."""

    people = forms.ModelMultipleChoiceField(
        queryset=Person.objects.none(), error_messages={"required": _("Tick at least one person.")}
    )

    def __init__(self, *args, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = scope.people(Person.objects.all())


class EnrolmentImportForm(forms.Form):
    file = forms.FileField(
        label=_("List of people (.xlsx or .csv)"),
        help_text=_("One person a row in the first column: the resident ID number or the mobile number."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > MAX_ENROLMENT_FILE_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB; an enrolment list is much smaller."))
        return upload


class AttendanceForm(forms.Form):
    """The whole attendance list in one form: per enrolment a choice (present, partly present, absent)
    and, for partial attendance, the hours credited. A row left without a choice is left as it is, so a
    trainee who checked in while the organiser had the page open is not undone."""

    MARK_CHOICES = [
        (Attendance.PRESENT, Attendance.PRESENT.label),
        (Attendance.PARTIAL, Attendance.PARTIAL.label),
        (Attendance.ABSENT, Attendance.ABSENT.label),
    ]

    def __init__(self, *args, session: TrainingSession, enrolments, **kwargs):
        super().__init__(*args, **kwargs)
        self.session = session
        self.enrolments = list(enrolments)
        for enrolment in self.enrolments:
            marked = enrolment.attendance != Attendance.UNMARKED
            self.fields[f"attendance_{enrolment.pk}"] = forms.ChoiceField(
                label=enrolment.person.name, choices=self.MARK_CHOICES, required=False, widget=forms.RadioSelect,
                initial=enrolment.attendance if marked else None,
            )
            self.fields[f"hours_{enrolment.pk}"] = forms.DecimalField(
                label=_("Hours credited"), required=False, max_digits=5, decimal_places=1,
                min_value=Decimal("0.1"), max_value=session.credit_hours, initial=enrolment.partial_hours,
                widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any", "min": "0.1"}),
            )

    def clean(self):
        cleaned_data = super().clean()
        for enrolment in self.enrolments:
            if cleaned_data.get(f"attendance_{enrolment.pk}") == Attendance.PARTIAL:
                name = f"hours_{enrolment.pk}"
                if cleaned_data.get(name) is None and name not in self.errors:
                    self.add_error(name, _("Give the hours credited for partial attendance."))
        return cleaned_data

    def rows(self):
        """(enrolment, attendance field, hours field) for each person, for the template."""
        return [
            (enrolment, self[f"attendance_{enrolment.pk}"], self[f"hours_{enrolment.pk}"])
            for enrolment in self.enrolments
        ]

    def marks(self) -> list[AttendanceMark]:
        return [
            AttendanceMark(
                enrolment_id=enrolment.pk, attendance=choice,
                partial_hours=self.cleaned_data.get(f"hours_{enrolment.pk}") if choice == Attendance.PARTIAL else None,
            )
            for enrolment in self.enrolments
            if (choice := self.cleaned_data.get(f"attendance_{enrolment.pk}"))
        ]


class CheckInForm(forms.Form):
    code = forms.CharField(
        label=_("Check-in code"), max_length=20,
        widget=forms.TextInput(attrs={
            "inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9０-９ ]*", "maxlength": 20,
            "placeholder": "000000", "class": "check-in-code-input",
        }),
        help_text=_("The 6 digits shown at the venue."),
    )


# --- Training plans --------------------------------------------------------------------------------------


class CourseMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, course: CoursePage) -> str:
        return course.title


class PlanForm(forms.ModelForm):
    """A training plan's details. The year, tier and organiser say which plan it is, so they are chosen on
    creation only (``tiers``: the tiers the administrator may plan; ``organiser_choices``: for system
    administrators, the organising region). Days of the window left empty take the usual ones of the year.
    The rules are checked by courses/plans.py when the plan is saved."""

    DATE_FIELDS = ("opens_on", "deadline", "join_cutoff", "leave_cutoff")

    class Meta:
        model = TrainingPlan
        fields = [
            "year", "post_kind", "title", "required_courses", "min_credit_hours", "requires_face_to_face",
            "opens_on", "deadline", "join_cutoff", "leave_cutoff",
        ]
        field_classes = {"required_courses": CourseMultipleChoiceField}
        widgets = {
            "year": forms.NumberInput(attrs={"inputmode": "numeric", "min": 2000, "max": 2100}),
            "required_courses": forms.CheckboxSelectMultiple,
            "min_credit_hours": forms.NumberInput(attrs={"inputmode": "decimal", "min": 0, "step": "any"}),
            "opens_on": DateInput(),
            "deadline": DateInput(),
            "join_cutoff": DateInput(),
            "leave_cutoff": DateInput(),
        }
        help_texts = {
            "title": _("Empty: a title made of the organiser, the year and the tier."),
            "required_courses": _("Each ticked course must be completed, online or at a face-to-face session."),
            "opens_on": _("Empty: 1 January of the plan's year."),
            "deadline": _("Empty: 30 November of the plan's year."),
        }

    def __init__(self, *args, tiers: list[str] | None = None, organiser_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["year"], self.fields["post_kind"]
        else:
            self.fields["year"].validators += [MinValueValidator(2000), MaxValueValidator(2100)]
            self.fields["post_kind"].choices = [(kind, PostKind(kind).label) for kind in tiers or []]
        self.fields["required_courses"].queryset = CoursePage.objects.live().order_by("title")
        self.fields["title"].required = False
        for name in self.DATE_FIELDS:
            self.fields[name].required = False
        self.fields["join_cutoff"].help_text = _(
            "People who take up the post after this day are not required to train this year. Empty: 30 September."
        )
        self.fields["leave_cutoff"].help_text = _(
            "People who left the post before this day are not required to train this year. Empty: the deadline."
        )
        if organiser_choices is not None:
            self.fields = {
                "organiser_region": forms.ChoiceField(
                    label=_("Organiser"), choices=organiser_choices,
                    help_text=_("The province for institution heads, a city for supervisors, a county for directors."),
                ),
                **self.fields,
            }

    def clean_organiser_region(self) -> Region:
        return Region.objects.get(code=self.cleaned_data["organiser_region"])

    def clean(self):
        cleaned_data = super().clean()
        year = cleaned_data.get("year") if "year" in self.fields else self.instance.year
        if year:
            defaults = plan_defaults(year)
            if cleaned_data.get("deadline") and not cleaned_data.get("leave_cutoff"):
                defaults["leave_cutoff"] = cleaned_data["deadline"]  # "the deadline", whichever day it is
            for name in self.DATE_FIELDS:
                if cleaned_data.get(name) is None and name not in self.errors:
                    cleaned_data[name] = defaults[name]
        return cleaned_data

    def service_arguments(self) -> dict:
        """Keyword arguments for plans.plan_create / plan_update (the organiser is the view's to give)."""
        return {name: self.cleaned_data[name] for name in self.fields if name != "organiser_region"}
