"""What the course pages show and how a lesson is opened: the page models (models.py) stay declarative and
call these, the one lazy import they make (as Wagtail's contrib/forms pages call their views), because
everything here reads the models through progress, completion, exams and selectors."""
from collections import Counter

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from academy.accounts.lean import request_session_tag

from .attention import attention_missed, attention_prompt_open, attention_prompt_state, attention_rules_of
from .completion import course_status
from .exams import draw_shortfalls, exam_draw_problems, exam_overview
from .models import CoursePage
from .progress import (
    course_outline, course_study_minutes, heartbeat_state_sign, lesson_progress_open, lesson_progress_summary,
    lesson_requirements,
)
from .selectors import current_post_kinds
from .years import training_year


def course_index_context(*, index, request) -> dict:
    """The catalogue: its live courses, and which of them are meant for the posts the signed-in trainee
    holds today."""
    courses = list(CoursePage.objects.live().public().child_of(index).select_related("cover_image").order_by("title"))
    user = request.user
    post_kinds = (
        current_post_kinds(person=user.person_id, on=timezone.localdate())
        if user.is_authenticated and user.person_id else set()
    )
    return {
        "courses": courses,
        "courses_for_me": {course.pk for course in courses if post_kinds.intersection(course.audience or [])},
    }


def course_context(*, course, request) -> dict:
    """The lessons with the trainee's status in each, the exam, overall progress and, once complete, the
    completion record. Visitors and users who are not trainees see the course without statuses."""
    user = request.user
    person = user.person if user.is_authenticated and user.person_id else None
    year = training_year()
    outline = course_outline(person=person, course=course, year=year)
    context = {
        "person": person, "year": year, "outline": outline, "status": None, "exam_overview": None,
        "study_minutes": course_study_minutes(course),
    }
    if person is not None:
        context["status"] = course_status(person=person, course=course, year=year)
        if outline.exam is not None:
            context["exam_overview"] = exam_overview(person=person, exam=outline.exam.specific)
    return context


def lesson_context(*, lesson, request, outline, progress) -> dict:
    """``outline`` and ``progress`` come from lesson_serve(); without them (an editor's preview) the lesson
    is shown without progress and sends no heartbeats."""
    context = {
        "course": lesson.course if lesson.path else None, "outline": outline, "progress": progress, "entry": None,
        "next_page": None, "summary": None,
    }
    # Knowledge checks with more than one right answer take check boxes, the others radio buttons.
    context["multiple_answer_checks"] = {
        block.id for block in lesson.body
        if block.block_type == "knowledge_check"
        and sum(1 for option in block.value["options"] if option["is_correct"]) > 1
    }
    if outline is not None and progress is not None:
        requirements = lesson_requirements(lesson)
        summary = lesson_progress_summary(progress, requirements)
        context.update(entry=outline.entry(lesson.pk), next_page=outline.next_after(lesson.pk), summary=summary)
        context["lesson_config"] = {
            "heartbeatUrl": reverse("courses:lesson_heartbeat", args=[lesson.pk]),
            "interval": settings.COURSES_HEARTBEAT_SECONDS,
            "sequence": progress.last_sequence,
            "positions": summary["positions"],
            "watched": summary["videos"],
            "complete": summary["complete"],
            "csrfToken": get_token(request),
            # Where the page keeps heartbeats it could not send yet: one person's row, so never another's.
            "keptKey": f"academy.heartbeats.{progress.pk}",
            # The last sequence number this device used: a lesson opened from its offline copy (sw.js) carries
            # the number of the day it was kept, which the server has passed since.
            "sequenceKey": f"academy.sequence.{progress.pk}",
        }
        rules = attention_rules_of(context["course"])
        prompt = attention_prompt_open(progress=progress) if rules is not None else None
        # The page sends this back with its heartbeats, which then take one statement (courses/progress.py).
        context["lesson_config"]["state"] = heartbeat_state_sign(
            progress=progress, requirements=requirements, rules=rules, prompt_open=prompt is not None,
            user_id=request.user.pk, session_tag=request_session_tag(request),
            lesson_published_at=lesson.last_published_at,
        )
        if rules is not None:
            # A check still open (the page was reloaded, or closed and opened again) shows at once.
            context["attention"] = {"rules": rules, "missed": attention_missed(progress=progress)}
            context["lesson_config"]["attention"] = {
                "answerUrl": reverse("courses:lesson_attention", args=[lesson.pk]),
                "prompt": attention_prompt_state(prompt) if prompt is not None else None,
                "offlineText": _(
                    "No network: your answer will be sent when the network returns; study time counts again once it "
                    "has arrived."
                ),
            }
    return context


def lesson_serve(*, lesson, request, args, kwargs):
    """For signed-in trainees. Opening the lesson starts the trainee's progress in it for the training
    year; heartbeats are accepted only for a lesson so opened, which is how a locked lesson stays shut."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    course = lesson.course
    if not request.user.person_id:
        messages.error(
            request, _("Lessons are for trainees: your account is not linked to a person on the roster.")
        )
        return redirect(course.get_url(request))
    person = request.user.person
    outline = course_outline(person=person, course=course, year=training_year())
    entry = outline.entry(lesson.pk)
    if entry is None or entry.is_locked:
        messages.warning(request, _("This course is taken in order: complete the lessons before this one first."))
        return redirect(course.get_url(request))
    progress = entry.progress or lesson_progress_open(person=person, lesson=lesson)
    request.is_preview = False
    response = TemplateResponse(
        request, lesson.get_template(request, *args, **kwargs),
        lesson.get_context(request, *args, outline=outline, progress=progress, **kwargs),
    )
    patch_cache_control(response, private=True, no_cache=True)
    return response


def exam_context(*, exam, request) -> dict:
    """What the exam page shows: the rules, the trainee's attempts, and to editors what stops the draw."""
    user = request.user
    person = getattr(user, "person", None) if user.is_authenticated else None
    problems = exam_draw_problems(exam=exam)
    return {
        "course": exam.course,
        "question_count": exam.question_count(),
        "pass_mark": exam.effective_pass_mark(),
        "exam_ready": not problems,
        "draw_problems": problems if user.is_authenticated and exam.permissions_for_user(user).can_edit() else [],
        "person": person,
        "overview": exam_overview(person=person, exam=exam) if person is not None and exam.pk else None,
    }


def exam_form_problems(*, draw_rules) -> list[str]:
    """Why the draw rules being saved in the admin's exam form could not be drawn (exams.draw_shortfalls)."""
    wanted = Counter()
    for form in draw_rules.forms:
        rule = getattr(form, "cleaned_data", None) or {}
        if rule.get("category") and not rule.get("DELETE"):
            wanted[rule["category"].pk] += rule.get("count") or 0
    return draw_shortfalls(wanted=wanted)
