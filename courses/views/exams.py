"""Taking an exam: start (or resume), answer with autosave, submit, see the result. Every rule (attempts,
time limit, which ids count, scoring) lives in courses/exams.py; these views only translate HTTP."""
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from ..completion import course_status
from ..exams import (
    AlreadyPassed, ExamRefused, answers_from_form, attempt_close_if_expired, attempt_marking,
    attempt_questions_to_answer, attempt_save, attempt_seconds_left, attempt_start, attempt_submit,
    exam_overview,
)
from ..models import ExamAttempt, ExamPage


def _own_attempt(request, pk: int) -> ExamAttempt:
    """The signed-in trainee's attempt; anyone else's (or none, without a person) is a 404."""
    return get_object_or_404(
        ExamAttempt.objects.select_related("exam", "person"), pk=pk, person_id=request.user.person_id
    )


@require_POST
def start_attempt(request, page_id: int):
    exam = get_object_or_404(ExamPage.objects.live(), pk=page_id)
    exam_url = exam.get_url(request) or "/"
    if not request.user.is_authenticated:
        return redirect_to_login(exam_url)
    person = request.user.person
    if person is None:
        messages.error(request, _("Your account is not linked to a person on the roster, so you cannot take exams. "
                                  "Ask your county administrator to link it."))
        return redirect(exam_url)
    try:
        attempt = attempt_start(person=person, exam=exam)
    except AlreadyPassed as passed:
        messages.info(request, str(passed))
        return redirect("courses:attempt_result", pk=passed.attempt.pk)
    except ExamRefused as refusal:
        messages.error(request, str(refusal))
        return redirect(exam_url)
    return redirect("courses:attempt_take", pk=attempt.pk)


@never_cache
@require_GET
@login_required
def take_attempt(request, pk: int):
    attempt = attempt_close_if_expired(attempt=_own_attempt(request, pk))
    if attempt.submitted_at is not None:
        return redirect("courses:attempt_result", pk=attempt.pk)
    questions = attempt_questions_to_answer(attempt)
    return render(request, "courses/attempt_take.html", {
        "attempt": attempt,
        "exam": attempt.exam,
        "questions": questions,
        "answered": sum(1 for question in questions if any(option.chosen for option in question.options)),
        "seconds_left": attempt_seconds_left(attempt),
    })


@never_cache
@require_POST
def save_answers(request, pk: int):
    """Autosave from exam.js: a JSON body {"answers": {"<question id>": [<option id>, ...]}} holding every
    answer as it stands. Answers JSON: saved, or refused (409) once the attempt is closed."""
    if not request.user.is_authenticated:
        return JsonResponse({"saved": False, "error": "signed_out"}, status=403)
    attempt = _own_attempt(request, pk)
    try:
        answers = json.loads(request.body)["answers"]
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"saved": False, "error": "bad_request"}, status=400)
    if not isinstance(answers, dict):
        return JsonResponse({"saved": False, "error": "bad_request"}, status=400)
    if not attempt_save(attempt=attempt, answers=answers):
        attempt_close_if_expired(attempt=attempt)
        return JsonResponse(
            {"saved": False, "error": "closed", "result_url": reverse("courses:attempt_result", args=[attempt.pk])},
            status=409,
        )
    return JsonResponse({"saved": True, "answered": len(attempt.answers), "seconds_left": attempt_seconds_left(attempt)})


@require_POST
@login_required
def submit_attempt(request, pk: int):
    attempt = _own_attempt(request, pk)
    if attempt.submitted_at is None:
        attempt, counted = attempt_submit(attempt=attempt, answers=answers_from_form(request.POST))
        if not counted:
            messages.warning(request, _("Time was up before your answers arrived: the answers saved before the "
                                        "deadline were scored."))
    return redirect("courses:attempt_result", pk=attempt.pk)


@never_cache
@require_GET
@login_required
def attempt_result(request, pk: int):
    attempt = attempt_close_if_expired(attempt=_own_attempt(request, pk))
    if attempt.submitted_at is None:
        return redirect("courses:attempt_take", pk=attempt.pk)
    exam = attempt.exam
    course = exam.course
    marked = attempt_marking(attempt)
    return render(request, "courses/attempt_result.html", {
        "attempt": attempt,
        "exam": exam,
        "course": course,
        "pass_mark": exam.effective_pass_mark(),
        "marked": marked,
        "correct_count": sum(1 for question in marked if question.is_correct),
        "overview": exam_overview(person=attempt.person, exam=exam),
        "status": course_status(person=attempt.person, course=course, year=attempt.year),
    })
