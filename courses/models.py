"""Training content authored in Wagtail (catalogue, courses, lessons, exams, question banks, videos) and the
records of learning (progress, exam attempts, training records, face-to-face sessions).

Learning is counted per training year (the calendar year in China Standard Time): every year starts afresh,
and earlier years stay as history for the coverage reports.
"""
import datetime
import secrets
import uuid
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.forms import WagtailAdminModelForm, WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from academy.jobs import BackgroundJob
from academy.organisation.models import PostKind

from .blocks import LessonStreamBlock
from .video import read_duration_seconds
from .years import training_year


class CourseIndexPage(Page):
    """The course catalogue."""

    introduction = models.TextField(_("introduction"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("introduction")]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["courses.CoursePage"]
    max_count = 1

    class Meta:
        verbose_name = _("course catalogue")

    def get_context(self, request, *args, **kwargs):
        from .pages import course_index_context  # pages.py reads this module

        context = super().get_context(request, *args, **kwargs)
        context.update(course_index_context(index=self, request=request))
        return context


class CoursePageForm(WagtailAdminPageForm):
    audience = forms.MultipleChoiceField(
        label=_("audience"), choices=PostKind.choices, widget=forms.CheckboxSelectMultiple, required=False,
        help_text=_("The posts this course is meant for; it is offered to everyone holding one of them."),
    )


class CoursePage(Page):
    summary = models.TextField(_("summary"), max_length=500)
    cover_image = models.ForeignKey(
        "wagtailimages.Image", verbose_name=_("cover image"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    introduction = RichTextField(_("introduction"), blank=True)
    audience = models.JSONField(_("audience"), default=list, blank=True)
    credit_hours = models.DecimalField(
        _("credit hours"), max_digits=5, decimal_places=1, validators=[MinValueValidator(0)],
        help_text=_("The credit hours given when the course is completed."),
    )
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark"), default=60, validators=[MaxValueValidator(100)],
        help_text=_("The exam score, out of 100, needed to complete the course."),
    )
    lessons_in_order = models.BooleanField(
        _("lessons in order"), default=False, help_text=_("A lesson opens only when the one before it is complete.")
    )
    exam_after_lessons = models.BooleanField(
        _("exam after the lessons"), default=False, help_text=_("The exam opens only when every lesson is complete.")
    )
    # Attention checks (防挂机), decided and checked on the server: courses/attention.py.
    attention_checks = models.BooleanField(
        _("attention checks"), default=False,
        help_text=_(
            "While a trainee studies a lesson, a check asking to tap a number appears at random moments. Study "
            "time does not count from the moment it appears until it is answered."
        ),
    )
    attention_interval_minutes = models.DecimalField(
        _("minutes between checks (average)"), max_digits=4, decimal_places=1, default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0.1"))],
        help_text=_(
            "Minutes of study between two checks, on average. The first check of a lesson comes at a random "
            "moment within this much study; each next one between half and one and a half times it after the "
            "last was answered."
        ),
    )
    attention_answer_seconds = models.PositiveSmallIntegerField(
        _("seconds to answer a check"), default=60, validators=[MinValueValidator(5), MaxValueValidator(600)],
        help_text=_("A check not answered within this time is recorded as missed."),
    )

    base_form_class = CoursePageForm
    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        FieldPanel("cover_image"),
        FieldPanel("introduction"),
        MultiFieldPanel(
            [FieldPanel("audience"), FieldPanel("credit_hours"), FieldPanel("pass_mark"), FieldPanel("lessons_in_order"),
             FieldPanel("exam_after_lessons")],
            heading=_("Training rules"),
        ),
        MultiFieldPanel(
            [FieldPanel("attention_checks"), FieldPanel("attention_interval_minutes"),
             FieldPanel("attention_answer_seconds")],
            heading=_("Attention checks"),
        ),
    ]
    search_fields = Page.search_fields + [index.SearchField("summary")]
    parent_page_types = ["courses.CourseIndexPage"]
    subpage_types = ["courses.LessonPage", "courses.ExamPage"]

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def get_audience_display(self) -> list[str]:
        return [PostKind(kind).label for kind in self.audience if kind in PostKind.values]

    def lessons(self):
        return LessonPage.objects.live().child_of(self).order_by("path")

    def exam(self):
        return ExamPage.objects.live().child_of(self).first()

    def get_context(self, request, *args, **kwargs):
        from .pages import course_context  # pages.py reads this module

        context = super().get_context(request, *args, **kwargs)
        context.update(course_context(course=self, request=request))
        return context

    def serve(self, request, *args, **kwargs):
        # The page shows the signed-in trainee's own progress: never keep it in a shared cache.
        response = super().serve(request, *args, **kwargs)
        patch_cache_control(response, private=True, no_cache=True)
        return response


def course_of(page: Page) -> CoursePage:
    """The course a lesson or exam belongs to, in one query (get_parent().specific takes two)."""
    return CoursePage.objects.get(path=page.path[: -Page.steplen])


class LessonPage(Page):
    """A lesson. It completes on the server: a text lesson after ``min_study_minutes`` of measured study,
    a lesson with videos when at least 90% of every video has really been watched."""

    body = StreamField(LessonStreamBlock(), verbose_name=_("body"))
    min_study_minutes = models.PositiveSmallIntegerField(
        _("minimum study time (minutes)"), default=3,
        help_text=_("For lessons without video: time on the page, measured by the server, before it completes."),
    )

    content_panels = Page.content_panels + [FieldPanel("min_study_minutes"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("body")]
    parent_page_types = ["courses.CoursePage"]
    subpage_types = []

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    @cached_property
    def course(self) -> CoursePage:
        return course_of(self)

    def video_blocks(self):
        return [block for block in self.body if block.block_type == "video"]

    def get_context(self, request, *args, outline=None, progress=None, **kwargs):
        from .pages import lesson_context  # pages.py reads this module

        context = super().get_context(request, *args, **kwargs)
        context.update(lesson_context(lesson=self, request=request, outline=outline, progress=progress))
        return context

    def serve(self, request, *args, **kwargs):
        from .pages import lesson_serve  # pages.py reads this module

        return lesson_serve(lesson=self, request=request, args=args, kwargs=kwargs)


class ExamDrawRule(Orderable):
    exam = ParentalKey("courses.ExamPage", related_name="draw_rules", on_delete=models.CASCADE)
    category = models.ForeignKey(
        "courses.QuestionCategory", verbose_name=_("question category"), on_delete=models.PROTECT, related_name="+"
    )
    count = models.PositiveSmallIntegerField(_("questions drawn"), default=5, validators=[MinValueValidator(1)])

    panels = [FieldPanel("category"), FieldPanel("count")]

    class Meta(Orderable.Meta):
        verbose_name = _("question draw rule")


class ExamPageForm(WagtailAdminPageForm):
    def clean(self):
        from .pages import exam_form_problems  # pages.py reads this module

        cleaned_data = super().clean()
        rules = self.formsets["draw_rules"]
        if not rules.is_valid():  # the rules' own errors come first; validated now, not after clean()
            return cleaned_data
        for problem in exam_form_problems(draw_rules=rules):
            self.add_error(None, problem)
        return cleaned_data


class ExamPage(Page):
    """An exam drawn at random from question banks; scored on the server only."""

    introduction = RichTextField(_("introduction"), blank=True)
    time_limit_minutes = models.PositiveSmallIntegerField(
        _("time limit (minutes)"), default=30, validators=[MinValueValidator(1)]
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("attempts allowed"), default=3, validators=[MinValueValidator(1)], help_text=_("Per training year.")
    )
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark"), null=True, blank=True, validators=[MaxValueValidator(100)],
        help_text=_("Out of 100. Empty: the course's pass mark."),
    )
    shuffle_options = models.BooleanField(_("shuffle options"), default=True)

    base_form_class = ExamPageForm
    content_panels = Page.content_panels + [
        FieldPanel("introduction"),
        MultiFieldPanel(
            [FieldPanel("time_limit_minutes"), FieldPanel("max_attempts"), FieldPanel("pass_mark"),
             FieldPanel("shuffle_options")],
            heading=_("Rules"),
        ),
        InlinePanel("draw_rules", label=_("Questions drawn per category"), min_num=1),
    ]
    parent_page_types = ["courses.CoursePage"]
    subpage_types = []
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("exam")
        verbose_name_plural = _("exams")

    @cached_property
    def course(self) -> CoursePage:
        return course_of(self)

    def effective_pass_mark(self) -> int:
        return self.pass_mark if self.pass_mark is not None else self.course.pass_mark

    def question_count(self) -> int:
        return sum(rule.count for rule in self.draw_rules.all())

    def get_context(self, request, *args, **kwargs):
        from .pages import exam_context  # pages.py reads this module

        context = super().get_context(request, *args, **kwargs)
        context.update(exam_context(exam=self, request=request))
        return context

    def serve(self, request, *args, **kwargs):
        # The page shows the signed-in trainee's own attempts: never keep it in a shared cache.
        response = super().serve(request, *args, **kwargs)
        patch_cache_control(response, private=True, no_cache=True)
        return response


class QuestionCategory(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)

    panels = [FieldPanel("name"), FieldPanel("description")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("question category")
        verbose_name_plural = _("question categories")

    def __str__(self):
        return self.name


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TRUE_FALSE = "true_false", _("True or false")


class QuestionForm(WagtailAdminModelForm):
    def clean(self):
        cleaned_data = super().clean()
        options = [
            form.cleaned_data for form in self.formsets["options"].forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        correct = sum(1 for option in options if option.get("is_correct"))
        kind = cleaned_data.get("kind")
        if len(options) < 2:
            raise forms.ValidationError(_("A question needs at least two options."))
        if kind == QuestionKind.TRUE_FALSE and len(options) != 2:
            raise forms.ValidationError(_("A true-or-false question has exactly two options."))
        if kind in (QuestionKind.SINGLE, QuestionKind.TRUE_FALSE) and correct != 1:
            raise forms.ValidationError(_("Mark exactly one option as correct."))
        if kind == QuestionKind.MULTIPLE and correct < 1:
            raise forms.ValidationError(_("Mark at least one option as correct."))
        return cleaned_data


class Question(index.Indexed, ClusterableModel):
    category = models.ForeignKey(
        QuestionCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="questions"
    )
    kind = models.CharField(_("type"), max_length=12, choices=QuestionKind.choices, default=QuestionKind.SINGLE)
    text = models.TextField(_("question"))
    explanation = models.TextField(_("explanation"), blank=True, help_text=_("Shown after the answer is submitted."))

    base_form_class = QuestionForm
    panels = [
        FieldPanel("category"), FieldPanel("kind"), FieldPanel("text"),
        InlinePanel("options", label=_("Options"), min_num=2), FieldPanel("explanation"),
    ]
    search_fields = [index.SearchField("text"), index.FilterField("category_id")]

    class Meta:
        ordering = ["category_id", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self):
        return self.text[:60]

    def correct_option_ids(self) -> set[int]:
        return {option.pk for option in self.options.all() if option.is_correct}


class QuestionOption(Orderable):
    question = ParentalKey(Question, related_name="options", on_delete=models.CASCADE)
    text = models.CharField(_("option"), max_length=500)
    is_correct = models.BooleanField(_("correct"), default=False)

    panels = [FieldPanel("text"), FieldPanel("is_correct")]

    class Meta(Orderable.Meta):
        verbose_name = _("option")

    def __str__(self):
        return self.text


class VideoForm(WagtailAdminModelForm):
    def clean(self):
        cleaned_data = super().clean()
        upload = cleaned_data.get("file")
        if upload and "file" in self.changed_data:
            duration = read_duration_seconds(upload)
            if duration is None:
                self.add_error("file", _("This file is not an MP4 video whose length can be read."))
            else:
                cleaned_data["duration_seconds"] = duration
                self.instance.duration_seconds = duration
        return cleaned_data


class Video(index.Indexed, models.Model):
    """A lesson video. Its duration is read from the file on upload: the server, not the browser, knows
    how long it is, which the 90%-watched rule depends on."""

    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("video file (MP4, H.264)"), upload_to="videos/")
    poster = models.ForeignKey(
        "wagtailimages.Image", verbose_name=_("poster image"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    captions = models.FileField(_("captions (WebVTT)"), upload_to="videos/captions/", blank=True)
    duration_seconds = models.FloatField(_("duration (seconds)"), default=0, editable=False)

    # A JPEG of the picture one second in, made with the renditions (renditions.py): the poster shown when the
    # editor chose none.
    poster_frame = models.FileField(_("poster frame"), upload_to="videos/posters/", blank=True, editable=False)
    # The name of the upload poster_frame was made from: when the file is replaced, the frame is made again.
    poster_frame_source = models.CharField(max_length=255, blank=True, editable=False)

    base_form_class = VideoForm
    panels = [FieldPanel("title"), FieldPanel("file"), FieldPanel("poster"), FieldPanel("captions")]
    search_fields = [index.SearchField("title")]

    class Meta:
        verbose_name = _("video")
        verbose_name_plural = _("videos")

    def __str__(self):
        return self.title


class VideoQuality(models.TextChoices):
    """The renditions of every lesson video (academy/transcoding.py makes them): 流畅 for weak networks, 标清."""

    LOW = "low", _("Smooth")
    STANDARD = "standard", _("Standard definition")


class VideoRendition(models.Model):
    """A lesson video re-encoded for phones: H.264/AAC with its index first, ~360p under 400 kbit/s (low) or
    ~720p (standard). Progress belongs to the video block, never to a rendition."""

    video = models.ForeignKey(Video, verbose_name=_("video"), on_delete=models.CASCADE, related_name="renditions")
    quality = models.CharField(_("quality"), max_length=10, choices=VideoQuality.choices)
    file = models.FileField(_("file"), upload_to="videos/renditions/")
    # The name of the upload it was made from: when the video's file is replaced, the rendition is made again.
    source_name = models.CharField(max_length=255)
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"))
    bitrate = models.PositiveIntegerField(_("bitrate (bit/s)"))
    width = models.PositiveSmallIntegerField(_("width"))
    height = models.PositiveSmallIntegerField(_("height"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("video rendition")
        verbose_name_plural = _("video renditions")
        constraints = [models.UniqueConstraint(fields=["video", "quality"], name="video_rendition_once")]

    def __str__(self):
        return f"{self.video} · {self.get_quality_display()}"


class VideoTranscodeJob(BackgroundJob):
    """Making a video's missing renditions and poster frame in the background (renditions.py), after an upload,
    a replaced file or `manage.py transcode_videos`. ``total`` counts the files to make, ``done`` those made.
    Running it again makes only what is still missing."""

    video = models.ForeignKey(Video, verbose_name=_("video"), on_delete=models.CASCADE, related_name="transcode_jobs")

    class Meta(BackgroundJob.Meta):
        verbose_name = _("video transcoding job")
        verbose_name_plural = _("video transcoding jobs")

    def __str__(self):
        return f"{self.video} · {self.created_at:%Y-%m-%d %H:%M}"


# --- Records of learning -------------------------------------------------------------------------------


class LessonProgress(models.Model):
    """One person's progress through one lesson in one training year, advanced only by heartbeats the
    server checks (see progress.py)."""

    person = models.ForeignKey(
        "organisation.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="lesson_progress"
    )
    lesson = models.ForeignKey(LessonPage, verbose_name=_("lesson"), on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("training year"))
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    last_heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    last_sequence = models.PositiveIntegerField(default=0)
    study_seconds = models.PositiveIntegerField(_("measured study time (seconds)"), default=0)
    # Per video block id: {"position": seconds at the last heartbeat, "furthest": furthest point watched}.
    videos = models.JSONField(default=dict, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    # The study time (seconds) at which the next attention check is due, drawn at random by the server; empty
    # until the course has checks and the lesson is studied (courses/attention.py).
    attention_due_seconds = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("lesson progress")
        verbose_name_plural = _("lesson progress")
        constraints = [models.UniqueConstraint(fields=["person", "lesson", "year"], name="lesson_progress_once_a_year")]

    def __str__(self):
        return f"{self.person} · {self.lesson} · {self.year}"


class AttentionPrompt(models.Model):
    """An attention check (防挂机) put to a trainee studying a lesson: a number to tap among a few, issued by the
    server at a random moment of study. While it is open (not yet answered right) no heartbeat of the lesson
    counts; the time those heartbeats would have counted is kept here, so the trainee sees what it cost. It is
    missed if it was not answered by ``answer_by``. The rules: courses/attention.py."""

    progress = models.ForeignKey(
        LessonProgress, verbose_name=_("lesson progress"), on_delete=models.CASCADE, related_name="attention_prompts"
    )
    # The server's token: an answer names the check it answers, so a page cannot answer one it was never shown.
    token = models.CharField(max_length=43, unique=True)
    issued_at = models.DateTimeField(_("issued"))
    answer_by = models.DateTimeField(_("to be answered by"))
    choices = models.JSONField(_("numbers shown"), default=list)
    expected = models.PositiveSmallIntegerField(_("number to tap"))
    closed_at = models.DateTimeField(_("answered"), null=True, blank=True)
    wrong_answers = models.PositiveSmallIntegerField(_("wrong answers"), default=0)
    identity_refusals = models.PositiveSmallIntegerField(_("identity checks refused"), default=0)
    uncounted_seconds = models.PositiveIntegerField(_("study time not counted (seconds)"), default=0)

    class Meta:
        verbose_name = _("attention check")
        verbose_name_plural = _("attention checks")
        constraints = [
            models.UniqueConstraint(
                fields=["progress"], condition=Q(closed_at__isnull=True), name="attention_prompt_one_open"
            ),
        ]

    def __str__(self):
        return f"{self.progress} · {self.issued_at:%Y-%m-%d %H:%M:%S}"

    def is_missed(self, now: datetime.datetime) -> bool:
        """Not answered in time: answered late, or still open after its time."""
        return (self.closed_at or now) > self.answer_by


class ExamAttempt(models.Model):
    """An attempt at an exam. ``questions`` fixes what was drawn and in which order, so that scoring uses
    exactly what the trainee saw; the correct answers never leave the server before submission."""

    person = models.ForeignKey(
        "organisation.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="exam_attempts"
    )
    exam = models.ForeignKey(ExamPage, verbose_name=_("exam"), on_delete=models.CASCADE, related_name="attempts")
    year = models.PositiveSmallIntegerField(_("training year"))
    number = models.PositiveSmallIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started"))
    deadline_at = models.DateTimeField(_("deadline"))
    # [{"question": id, "options": [option ids in the order shown]}]
    questions = models.JSONField(default=list)
    # {"question id": [chosen option ids]}
    answers = models.JSONField(default=dict, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    passed = models.BooleanField(_("passed"), default=False)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("exam attempt")
        verbose_name_plural = _("exam attempts")
        constraints = [
            models.UniqueConstraint(fields=["person", "exam", "year", "number"], name="exam_attempt_number_unique")
        ]

    def __str__(self):
        return f"{self.person} · {self.exam} · {self.number}"


class TrainingSource(models.TextChoices):
    ONLINE = "online", _("Online course")
    FACE_TO_FACE = "face_to_face", _("Face-to-face session")


class TrainingRecord(models.Model):
    """The one record of training done: an online course completed, or attendance at a face-to-face
    session. Coverage and transcripts read only this. Partial attendance credits hours without counting as
    a completion."""

    person = models.ForeignKey(
        "organisation.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="training_records"
    )
    year = models.PositiveSmallIntegerField(_("training year"))
    source = models.CharField(_("source"), max_length=16, choices=TrainingSource.choices)
    course = models.ForeignKey(
        CoursePage, verbose_name=_("course"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    session = models.ForeignKey(
        "courses.TrainingSession", verbose_name=_("face-to-face session"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="records",
    )
    title = models.CharField(_("title"), max_length=255)
    completed_on = models.DateField(_("date"))
    credit_hours = models.DecimalField(_("credit hours"), max_digits=5, decimal_places=1)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    counts_as_completion = models.BooleanField(_("counts as completion"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-completed_on", "pk"]
        verbose_name = _("training record")
        verbose_name_plural = _("training records")
        indexes = [models.Index(fields=["person", "year"], name="training_record_person_year")]
        constraints = [
            # One completion of a course a year, and one record a session: issuing twice changes nothing.
            models.UniqueConstraint(
                fields=["person", "course", "year"], condition=Q(source="online"), name="online_record_once_a_year"
            ),
            models.UniqueConstraint(
                fields=["person", "session"], condition=Q(session__isnull=False), name="session_record_once"
            ),
        ]

    def __str__(self):
        return f"{self.person} · {self.title}"


# --- Face-to-face sessions (培训班) ---------------------------------------------------------------------


class TrainingSession(models.Model):
    """A face-to-face session organised by a province, city or county administrator in their scope."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organiser_region = models.ForeignKey(
        "organisation.Region", verbose_name=_("organiser"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("topic"), max_length=200)
    course = models.ForeignKey(
        CoursePage, verbose_name=_("course"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("Attending counts as completing this course."),
    )
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    venue = models.CharField(_("venue"), max_length=200)
    capacity = models.PositiveIntegerField(_("capacity"), validators=[MinValueValidator(1)])
    credit_hours = models.DecimalField(
        _("credit hours"), max_digits=5, decimal_places=1, validators=[MinValueValidator(0)]
    )
    check_in_code = models.CharField(_("check-in code"), max_length=6, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("face-to-face session")
        verbose_name_plural = _("face-to-face sessions")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start")
        ]

    # Trainees may check in from this long before the start until the end: people arrive early.
    CHECK_IN_OPENS_BEFORE = datetime.timedelta(minutes=30)

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("courses:session_detail", args=[self.public_id])

    @property
    def date(self) -> datetime.date:
        """The session's date (its first day) in China Standard Time: the date its training records carry."""
        return timezone.localdate(self.starts_at)

    @property
    def year(self) -> int:
        """The training year the session counts in."""
        return training_year(self.starts_at)

    @property
    def check_in_opens_at(self) -> datetime.datetime:
        return self.starts_at - self.CHECK_IN_OPENS_BEFORE

    @property
    def check_in_closes_at(self) -> datetime.datetime:
        return self.ends_at

    def is_check_in_open(self, moment: datetime.datetime) -> bool:
        return self.check_in_opens_at <= moment <= self.check_in_closes_at


class Attendance(models.TextChoices):
    UNMARKED = "unmarked", _("Not marked")
    PRESENT = "present", _("Present")
    PARTIAL = "partial", _("Partly present")
    ABSENT = "absent", _("Absent")


class SessionEnrolment(models.Model):
    session = models.ForeignKey(
        TrainingSession, verbose_name=_("session"), on_delete=models.CASCADE, related_name="enrolments"
    )
    person = models.ForeignKey(
        "organisation.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="session_enrolments"
    )
    attendance = models.CharField(
        _("attendance"), max_length=10, choices=Attendance.choices, default=Attendance.UNMARKED
    )
    partial_hours = models.DecimalField(
        _("hours credited for partial attendance"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["person__name"]
        verbose_name = _("session enrolment")
        verbose_name_plural = _("session enrolments")
        constraints = [models.UniqueConstraint(fields=["session", "person"], name="session_enrolment_once")]

    def __str__(self):
        return f"{self.session} · {self.person}"


class Enrolment(models.Model):
    """A course assigned to a person, with an optional deadline. Courses for a person's posts are also
    offered without enrolment; annual training plans (issue 4) assign through this model too."""

    person = models.ForeignKey(
        "organisation.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="enrolments"
    )
    course = models.ForeignKey(CoursePage, verbose_name=_("course"), on_delete=models.CASCADE, related_name="+")
    due_date = models.DateField(_("deadline"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [models.UniqueConstraint(fields=["person", "course"], name="enrolment_once")]

    def __str__(self):
        return f"{self.person} · {self.course}"


# --- Annual training plans (box 专栏6 item 1) -------------------------------------------------------------


class PlanStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")


class TrainingPlan(models.Model):
    """A year's mandatory training of one tier, organised by the province (institution heads), a city
    (township supervisors) or a county (village directors). Everyone holding the post in the organiser's
    region during the year is assigned (see plans.py), within the joiner and leaver rule set here."""

    year = models.PositiveSmallIntegerField(_("year"))
    post_kind = models.CharField(_("tier"), max_length=20, choices=PostKind.choices)
    organiser_region = models.ForeignKey(
        "organisation.Region", verbose_name=_("organiser"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    required_courses = models.ManyToManyField(
        CoursePage, verbose_name=_("courses to complete"), blank=True, related_name="+"
    )
    min_credit_hours = models.DecimalField(
        _("minimum credit hours"), max_digits=5, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(0)], help_text=_("Hours from any training in the window; empty: none."),
    )
    requires_face_to_face = models.BooleanField(
        _("face-to-face session required"), default=False,
        help_text=_("Attendance at a face-to-face session in the window is required."),
    )
    opens_on = models.DateField(_("window opens"))
    deadline = models.DateField(_("deadline"))
    join_cutoff = models.DateField(
        _("late joiners' cut-off"),
        help_text=_("People who take up the post after this day are not required to train this year."),
    )
    leave_cutoff = models.DateField(
        _("early leavers' cut-off"),
        help_text=_("People who left the post before this day are not required to train this year."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    assigned_at = models.DateTimeField(_("last assigned"), null=True, blank=True)

    class Meta:
        ordering = ["-year", "post_kind", "organiser_region_id"]
        verbose_name = _("training plan")
        verbose_name_plural = _("training plans")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "post_kind", "organiser_region"], name="one_plan_per_tier_organiser_year"
            ),
            models.CheckConstraint(condition=Q(deadline__gte=models.F("opens_on")), name="plan_deadline_after_opening"),
        ]

    def __str__(self):
        return self.title


class PlanAssignmentJob(BackgroundJob):
    """One run of a plan's assignment (plans.plans_assign) in the background: after the plan is saved, after a
    roster import, every night, or on an administrator's request. The worker taking one takes every waiting job
    and assigns their plans in one pass; ``done`` and ``total`` count the people the plan requires once the pass
    has committed. Running it again changes nothing that is right already."""

    plan = models.ForeignKey(TrainingPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="assignment_jobs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    summary = models.JSONField(_("summary"), default=dict, blank=True, help_text=_("required, added, changed, removed"))

    class Meta(BackgroundJob.Meta):
        verbose_name = _("plan assignment job")
        verbose_name_plural = _("plan assignment jobs")

    def __str__(self):
        return f"{self.plan} · {self.created_at:%Y-%m-%d %H:%M}"


class PlanAssignment(models.Model):
    """One person required by one plan, with their status kept up to date from their training records.
    ``region`` is where they hold the post (the coverage drill-down goes by its code). ``year`` and
    ``person_name`` are copies of the plan's year and the person's name (plans.assignment_copies), so that the
    untrained list filters and sorts on this table alone, in the order of one index, at national scale."""

    plan = models.ForeignKey(TrainingPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="assignments")
    person = models.ForeignKey(
        "organisation.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="plan_assignments"
    )
    region = models.ForeignKey(
        "organisation.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.NOT_STARTED)
    credit_hours = models.DecimalField(_("credit hours in the window"), max_digits=6, decimal_places=1, default=0)
    completed_on = models.DateField(_("completed"), null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), editable=False)
    person_name = models.CharField(_("name"), max_length=50, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("plan assignment")
        verbose_name_plural = _("plan assignments")
        constraints = [models.UniqueConstraint(fields=["plan", "person"], name="plan_assignment_once")]
        indexes = [
            models.Index(fields=["plan", "region"], name="assignment_plan_region"),
            models.Index(fields=["plan", "status"], name="assignment_plan_status"),
            # The untrained list (analytics.selectors.assignments_page): a wide scope reads its people still to
            # train in name order from here, its region code prefix checked in the index (the pattern operator
            # class is what LIKE 'prefix%' can use); a narrow one finds its few rows by region and sorts them.
            models.Index(
                fields=["year", "person_name", "id", "region"], name="assignment_untrained_by_name",
                opclasses=["int2_ops", "varchar_ops", "int8_ops", "varchar_pattern_ops"],
                condition=~models.Q(status=PlanStatus.COMPLETED),
            ),
            models.Index(
                fields=["year", "region"], name="assignment_year_region", opclasses=["int2_ops", "varchar_pattern_ops"]
            ),
        ]

    def __str__(self):
        return f"{self.plan} · {self.person}"


def transcript_token() -> str:
    return secrets.token_urlsafe(24)


class IssuedTranscript(models.Model):
    """A transcript (学时证明) as handed out, as PDF or image: what the public page its QR code leads to confirms.
    The holder's name and totals are copied when issued. The same totals for the same person and year are the
    same issue (one number, one QR code) however often the document is downloaded; a changed total is a new
    issue. ``token`` is the unguessable link; ``number`` is printed for people to quote."""

    number = models.CharField(_("transcript number"), max_length=16, unique=True)
    token = models.CharField(max_length=40, unique=True, default=transcript_token, editable=False)
    person = models.ForeignKey(
        "organisation.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="issued_transcripts"
    )
    holder_name = models.CharField(_("holder's name"), max_length=50)
    year = models.PositiveSmallIntegerField(_("training year"), null=True, blank=True, help_text=_("Empty: every year."))
    credit_hours = models.DecimalField(_("credit hours"), max_digits=7, decimal_places=1)
    completions = models.PositiveIntegerField(_("completions"))
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("issued transcript")
        verbose_name_plural = _("issued transcripts")
        indexes = [models.Index(fields=["person", "year"], name="issued_transcript_person_year")]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("courses:transcript_verify", args=[self.token])


class CoverageCount(models.Model):
    """How many people a plan requires in a region (its own and everything under it) and how far they are.
    Kept up to date as assignments change (courses/coverage.py), so a coverage page reads a handful of
    rows whatever the number of people."""

    plan = models.ForeignKey(TrainingPlan, on_delete=models.CASCADE, related_name="coverage_counts")
    region = models.ForeignKey("organisation.Region", on_delete=models.CASCADE, related_name="+")
    not_started = models.PositiveIntegerField(_("not started"), default=0)
    in_progress = models.PositiveIntegerField(_("in progress"), default=0)
    completed = models.PositiveIntegerField(_("completed"), default=0)

    class Meta:
        verbose_name = _("coverage count")
        verbose_name_plural = _("coverage counts")
        constraints = [models.UniqueConstraint(fields=["plan", "region"], name="coverage_count_once")]

    def __str__(self):
        return f"{self.plan} · {self.region_id}"

    @property
    def required(self) -> int:
        return self.not_started + self.in_progress + self.completed

    @property
    def rate(self) -> float:
        """Completed ÷ required, 0 to 1; a region that requires nobody is fully covered."""
        return self.completed / self.required if self.required else 1.0
