"""What a lesson page asks of the server while it is open: heartbeats (the only way a lesson completes) and
answers to its knowledge checks. Both answer JSON; the rules live in courses/progress.py."""
import json
import math

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..models import LessonPage
from ..progress import Heartbeat, lesson_heartbeats_apply, lesson_progress_summary

# Far below PositiveIntegerField's limit, far above what a page sends in a year.
MAX_SEQUENCE = 1_000_000_000
# The most heartbeats one request may carry: a page that kept them while offline sends at most this many at once.
MAX_HEARTBEATS = 100


def lesson(request, page_id):
    """A lesson as trainees open it: by id, without Wagtail's routing down from the site root and its
    page-privacy check, six queries on every opening of a lesson, all day, on weak networks. A lesson's
    restrictions are LessonPage.serve's: signed in, on the roster, lessons before it done where the course
    is taken in order. (Wagtail page privacy is not used for lessons; their Wagtail address still works.)"""
    page = get_object_or_404(LessonPage.objects.live(), pk=page_id)
    return page.serve(request)


def _error(message, status):
    return JsonResponse({"error": message}, status=status)


def _heartbeat(data) -> Heartbeat:
    """One heartbeat from its JSON object; ValueError if anything in it is wrong."""
    if not isinstance(data, dict):
        raise ValueError("not an object")
    sequence = int(data["sequence"])
    video_block_id = data.get("video") or None
    position = float(data["position"]) if video_block_id else None
    age = float(data.get("age", 0))
    if not 0 < sequence <= MAX_SEQUENCE or (position is not None and not math.isfinite(position)):
        raise ValueError("sequence or position")
    if video_block_id is not None and not isinstance(video_block_id, str):
        raise ValueError("video")
    if not (math.isfinite(age) and age >= 0):
        raise ValueError("age")
    return Heartbeat(sequence=sequence, video_block_id=video_block_id, position=position, age=age)


@require_POST
def heartbeat(request, page_id):
    """Body: one heartbeat {"sequence": n, "video": block id, "position": seconds, "age": seconds}, or
    {"heartbeats": [several, oldest first]} from a page sending what it kept while offline. "video" and
    "position" only while a video plays; "age" only for a heartbeat that waited to be sent."""
    if not request.user.is_authenticated:
        return _error(_("Your session has ended: sign in again."), 401)
    if not request.user.person_id:
        return _error(_("Your account is not linked to a trainee."), 403)
    try:
        data = json.loads(request.body)
        items = data["heartbeats"] if isinstance(data, dict) and "heartbeats" in data else [data]
        if not isinstance(items, list) or not 0 < len(items) <= MAX_HEARTBEATS:
            raise ValueError("heartbeats")
        heartbeats = [_heartbeat(item) for item in items]
    except (ValueError, TypeError, KeyError):
        return _error(_("Malformed heartbeat."), 400)

    result = lesson_heartbeats_apply(person_id=request.user.person_id, lesson_id=page_id, heartbeats=heartbeats)
    if result is None:  # not opened this year (or no longer published)
        return _error(_("Open the lesson page again to go on studying."), 409)
    summary = lesson_progress_summary(result.progress, result.requirements)
    del summary["positions"]  # the page knows where its players are
    return JsonResponse({"accepted": result.accepted, "sequence": result.progress.last_sequence, **summary})


@require_POST
def knowledge_check(request, page_id, block_id):
    """Form field ``option`` (repeated): the indexes chosen. Replies whether that is right, with the
    explanation; the page itself never carries the answer."""
    if not request.user.is_authenticated:
        return _error(_("Your session has ended: sign in again."), 401)
    lesson = get_object_or_404(LessonPage.objects.live(), pk=page_id)
    block = next(
        (block for block in lesson.body if block.block_type == "knowledge_check" and block.id == block_id), None
    )
    if block is None:
        return _error(_("This question is no longer on the page."), 404)
    try:
        chosen = {int(index) for index in request.POST.getlist("option")}
    except ValueError:
        return _error(_("Choose an answer."), 400)
    if not chosen:
        return _error(_("Choose an answer."), 400)
    correct = {index for index, option in enumerate(block.value["options"]) if option["is_correct"]}
    is_correct = chosen == correct
    return JsonResponse({
        "correct": is_correct,
        "verdict": _("Correct.") if is_correct else _("Not quite: try again."),
        "explanation": block.value["explanation"],
    })
