"""Forms of the certification pages. They check input; every decision is made by applications.py,
staffing.py and scoring.py."""
import warnings

from django import forms
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from academy.organisation.models import Person
from academy.widgets import DateInput, DateTimeLocalInput
from courses.models import ExamPage

from .models import AssessmentSession, Part, Room, SessionStatus, StaffRole
from .rules import REVIEW_LEVELS

MAX_PROOF_BYTES = 5 * 1024 * 1024
MAX_PHOTO_BYTES = 2 * 1024 * 1024
PROOF_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png")
PHOTO_EXTENSIONS = (".jpg", ".jpeg", ".png")
PHOTO_FORMATS = ("JPEG", "PNG")
# A phone camera's photo is at most about 4000 pixels a side; the certificate prints 300 × 400. A file can
# declare far more than it holds (a 175 KB PNG of 15000 × 12000 pixels), and decoding it then costs gigabytes.
MAX_PHOTO_SIDE = 4000


def _check_photo_image(upload) -> None:
    """The photo must be a JPEG or PNG image Pillow can read, of at most MAX_PHOTO_SIDE pixels a side. Only
    the header is read for the size; verify() then checks the file without decoding its pixels."""
    kind_message = _("The photo could not be read as a JPG or PNG image. Take or save it again and upload it.")
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow warns of a decompression bomb before it refuses one: both are refused here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                width, height = image.size
                image_format = image.format
                if width > MAX_PHOTO_SIDE or height > MAX_PHOTO_SIDE:
                    raise forms.ValidationError(_too_large_message(width, height))
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise forms.ValidationError(_("The photo declares far too many pixels to be a photo.")) from None
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError):
        raise forms.ValidationError(kind_message) from None
    finally:
        upload.seek(0)
    if image_format not in PHOTO_FORMATS:
        raise forms.ValidationError(kind_message)


def _too_large_message(width: int, height: int) -> str:
    return _(
        "The photo is %(width)s × %(height)s pixels; at most %(max)s × %(max)s are accepted. Save it smaller and "
        "upload it again."
    ) % {"width": width, "height": height, "max": MAX_PHOTO_SIDE}


def _check_upload(upload, *, extensions, max_bytes, kind_message, size_message):
    if not upload.name.lower().endswith(extensions):
        raise forms.ValidationError(kind_message)
    if upload.size > max_bytes:
        raise forms.ValidationError(size_message)
    return upload


# --- Applying -------------------------------------------------------------------------------------------


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, person: Person) -> str:
        return person.name


class ApplyForm(forms.Form):
    """``people`` are those the user may apply for (applications.people_user_may_apply_for)."""

    person = PersonChoiceField(label=_("Who is applying"), queryset=Person.objects.none(), empty_label=None)
    external_hours = forms.DecimalField(
        label=_("Training hours outside the platform"), required=False, min_value=0, max_digits=6, decimal_places=1,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "min": 0, "step": "0.5"}),
        help_text=_("Only with a proof: a certificate or an attendance record."),
    )
    proof = forms.FileField(
        label=_("Proof of the external training"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
        help_text=_("PDF, JPG or PNG, at most 5 MB."),
    )
    photo = forms.FileField(
        label=_("Photo for the certificate"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".jpg,.jpeg,.png", "capture": "user"}),
        help_text=_("Optional. A recent head-and-shoulders photo, JPG or PNG, at most 2 MB."),
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        # The view has the people already (a list): the choice is limited to them.
        self.fields["person"].queryset = Person.objects.filter(pk__in=[person.pk for person in people]).order_by("name")

    def clean_proof(self):
        upload = self.cleaned_data.get("proof")
        if not upload:
            return upload
        return _check_upload(
            upload, extensions=PROOF_EXTENSIONS, max_bytes=MAX_PROOF_BYTES,
            kind_message=_("Upload the proof as a PDF, JPG or PNG file."),
            size_message=_("The proof is larger than 5 MB."),
        )

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        if not upload:
            return upload
        _check_upload(
            upload, extensions=PHOTO_EXTENSIONS, max_bytes=MAX_PHOTO_BYTES,
            kind_message=_("Upload the photo as a JPG or PNG file."),
            size_message=_("The photo is larger than 2 MB."),
        )
        _check_photo_image(upload)
        return upload

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("external_hours") and not cleaned_data.get("proof") and "proof" not in self.errors:
            self.add_error("proof", _("Upload a proof of the external training hours, or declare none."))
        return cleaned_data


class TheoryCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Theory exam code"), max_length=8,
        widget=forms.TextInput(attrs={
            "autocomplete": "off", "autocapitalize": "characters", "maxlength": 8, "placeholder": "ABC234",
            "class": "check-in-code-input",
        }),
        help_text=_("The six characters the invigilator shows at the start of the exam."),
    )


# --- Sessions -------------------------------------------------------------------------------------------


class ExamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, exam: ExamPage) -> str:
        return exam.title


class SessionForm(forms.ModelForm):
    """A session's details. ``centres`` are those in the administrator's scope. Once people have applied,
    the centre and the level stay as they are; the status moves only between open and closed here (scoring
    and sign-off have their own buttons)."""

    class Meta:
        model = AssessmentSession
        fields = [
            "centre", "level", "title", "venue", "applications_close_on", "theory_starts_at", "theory_ends_at",
            "skill_date", "review_date", "capacity", "theory_exam", "status",
        ]
        field_classes = {"theory_exam": ExamChoiceField}
        widgets = {
            "applications_close_on": DateInput(),
            "theory_starts_at": DateTimeLocalInput(),
            "theory_ends_at": DateTimeLocalInput(),
            "skill_date": DateInput(),
            "review_date": DateInput(),
            "capacity": forms.NumberInput(attrs={"inputmode": "numeric", "min": 1}),
        }

    def __init__(self, *args, centres, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres
        self.fields["theory_exam"].queryset = ExamPage.objects.live().order_by("title")
        self.fields["theory_exam"].empty_label = _("On paper: invigilators enter the scores")
        self.fields["theory_exam"].help_text = _(
            "An exam chosen here is taken online during the slot, opened with a code the session shows."
        )
        if self.instance.pk and self.instance.applications.exists():
            for name in ("centre", "level"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("People have applied: this no longer changes.")
        if self.instance.pk and self.instance.status in (SessionStatus.OPEN, SessionStatus.CLOSED):
            self.fields["status"].choices = [
                (SessionStatus.OPEN, SessionStatus.OPEN.label), (SessionStatus.CLOSED, SessionStatus.CLOSED.label),
            ]
        else:
            del self.fields["status"]

    def clean(self):
        cleaned_data = super().clean()
        starts_at, ends_at = cleaned_data.get("theory_starts_at"), cleaned_data.get("theory_ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("theory_ends_at", _("The theory exam must end after it starts."))
        closes_on = cleaned_data.get("applications_close_on")
        if closes_on and starts_at and closes_on > starts_at.date():
            self.add_error("applications_close_on", _("Applications must close before the theory exam."))
        if cleaned_data.get("level") in REVIEW_LEVELS and not cleaned_data.get("review_date"):
            self.add_error("review_date", _("Levels 2 and 1 have a comprehensive review: give its date."))
        return cleaned_data


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}), help_text=_("Needed for a rejection; the applicant reads it."),
    )


class RoomForm(forms.ModelForm):
    class Meta:
        model = Room
        fields = ["name", "capacity"]
        widgets = {"capacity": forms.NumberInput(attrs={"inputmode": "numeric", "min": 1})}


class AssessorSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or mobile number"), required=False, max_length=50)


class StaffForm(forms.Form):
    user = forms.IntegerField(widget=forms.HiddenInput)
    role = forms.ChoiceField(label=_("Role"), choices=StaffRole.choices)
    room = forms.ModelChoiceField(label=_("Room"), queryset=Room.objects.none(), required=False,
                                  help_text=_("Invigilators only."))

    def __init__(self, *args, session, assessors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = session.rooms.all()
        self.assessors = assessors

    def clean_user(self):
        user = self.assessors.filter(pk=self.cleaned_data["user"]).first()
        if user is None:
            raise forms.ValidationError(_("Choose an assessor from the list."))
        return user


# --- Scoring --------------------------------------------------------------------------------------------


def _score_input(maximum) -> forms.NumberInput:
    return forms.NumberInput(attrs={
        "inputmode": "decimal", "min": 0, "max": maximum, "step": "0.5", "class": "score-input", "autocomplete": "off",
    })


class SkillScoreForm(forms.Form):
    """One number field per rubric item, named ``item_<id>``."""

    def __init__(self, *args, rubric, **kwargs):
        super().__init__(*args, **kwargs)
        self.rubric = rubric
        for item in rubric:
            self.fields[f"item_{item.pk}"] = forms.DecimalField(
                label=item.title, min_value=0, max_value=item.points, max_digits=5, decimal_places=1,
                widget=_score_input(item.points),
            )

    def rows(self):
        return [(item, self[f"item_{item.pk}"]) for item in self.rubric]

    def items(self) -> dict[str, str]:
        """{"rubric item id": points}, as scoring.score_record takes them."""
        return {str(item.pk): str(self.cleaned_data[f"item_{item.pk}"]) for item in self.rubric}


class PercentScoreForm(forms.Form):
    value = forms.DecimalField(
        label=_("Score (0–100)"), min_value=0, max_value=100, max_digits=4, decimal_places=1, widget=_score_input(100),
    )


class TheoryPaperScoreForm(PercentScoreForm):
    application = forms.UUIDField(widget=forms.HiddenInput)


class SignOffForm(forms.Form):
    confirm = forms.BooleanField(label=_("I have reviewed the flagged candidates"), required=False)

    def __init__(self, *args, flagged: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.flagged = flagged
        if not flagged:
            del self.fields["confirm"]

    def clean(self):
        cleaned_data = super().clean()
        if self.flagged and not cleaned_data.get("confirm"):
            self.add_error("confirm", _("Review the flagged candidates and tick the box first."))
        return cleaned_data


class AmendForm(forms.Form):
    part = forms.ChoiceField(label=_("Part"), choices=Part.choices)
    score = forms.DecimalField(
        label=_("New score (0–100)"), min_value=0, max_value=100, max_digits=4, decimal_places=1,
        widget=_score_input(100),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the audit log with the scores before and after."),
    )

    def __init__(self, *args, parts: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["part"].choices = [(part, Part(part).label) for part in parts]

