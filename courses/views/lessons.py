"""What a lesson page asks of the server while it is open: heartbeats (the only way a lesson completes),
answers to its attention checks and to its knowledge checks. All answer JSON; the rules live in
courses/progress.py and courses/attention.py."""
import json
import math

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from academy.accounts.lean import request_session_tag, session_user, session_user_people
from academy.observability import HEARTBEATS

from ..attention import (
    Answer, attention_identity_confirmed, attention_missed, attention_prompt_answer, attention_prompt_state,
    minutes_seconds,
)
from ..models import LessonPage
from ..progress import (
    Heartbeat, heartbeat_state_load, heartbeat_state_of, lesson_heartbeats_apply, lesson_heartbeats_apply_signed,
    lesson_progress_summary,
)

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


def _heartbeats(body: bytes) -> tuple[list[Heartbeat], str | None]:
    """The heartbeats of a request, and the state the page sent back with them; ValueError (or TypeError,
    KeyError) if anything in them is wrong."""
    data = json.loads(body)
    items = data["heartbeats"] if isinstance(data, dict) and "heartbeats" in data else [data]
    if not isinstance(items, list) or not 0 < len(items) <= MAX_HEARTBEATS:
        raise ValueError("heartbeats")
    state = data.get("state") if isinstance(data, dict) else None
    if state is not None and not isinstance(state, str):
        raise ValueError("state")
    return [_heartbeat(item) for item in items], state


@require_POST
def heartbeat(request, page_id):
    """Body: one heartbeat {"sequence": n, "video": block id, "position": seconds, "age": seconds}, or
    {"heartbeats": [several, oldest first], "state": what the last answer (or the page) gave} from a page.
    "video" and "position" only while a video plays; "age" only for a heartbeat that waited to be sent.

    Served through the lean path (academy.middleware.LeanPathMiddleware). With the state, the user it names
    (checked with the session in the statement itself: academy.accounts.lean) and one UPDATE
    (lesson_heartbeats_apply_signed; a copy of heartbeats already counted is refused by one SELECT); whenever
    that decides nothing, the locked path below, with the user checked in full, decides: it gives the same
    answer either way."""
    try:
        heartbeats, token = _heartbeats(request.body)
    except (ValueError, TypeError, KeyError):
        heartbeats = token = None
    if heartbeats and token:
        state = heartbeat_state_load(token)
        user = session_user(request, user_id=state.user_id, tag=state.session_tag) if state is not None else None
        if user is not None and state.progress.lesson_id == page_id:
            result = lesson_heartbeats_apply_signed(
                state=state, people=session_user_people(user), heartbeats=heartbeats,
            )
            if result is not None:
                HEARTBEATS.labels(outcome="accepted" if result.accepted else "refused").inc(len(heartbeats))
                return _heartbeat_answer(result, user_id=user.user_id, session_tag=user.tag)

    if not request.user.is_authenticated:
        return _error(_("Your session has ended: sign in again."), 401)
    if not request.user.person_id:
        return _error(_("Your account is not linked to a trainee."), 403)
    if heartbeats is None:
        HEARTBEATS.labels(outcome="malformed").inc()
        return _error(_("Malformed heartbeat."), 400)
    result = lesson_heartbeats_apply(person_id=request.user.person_id, lesson_id=page_id, heartbeats=heartbeats)
    if result is None:  # not opened this year (or no longer published)
        HEARTBEATS.labels(outcome="lesson_not_open").inc(len(heartbeats))
        return _error(_("Open the lesson page again to go on studying."), 409)
    HEARTBEATS.labels(outcome="accepted" if result.accepted else "refused").inc(len(heartbeats))
    # The user was checked in full: the state answered lets the next heartbeats take one statement.
    return _heartbeat_answer(result, user_id=request.user.pk, session_tag=request_session_tag(request))


def _heartbeat_answer(result, *, user_id: int, session_tag: str) -> JsonResponse:
    summary = lesson_progress_summary(result.progress, result.requirements)
    del summary["positions"]  # the page knows where its players are
    data = {
        "accepted": result.accepted, "sequence": result.progress.last_sequence, **summary,
        "state": heartbeat_state_of(result, user_id=user_id, session_tag=session_tag),
    }
    if result.attention_checks:
        # Every answer carries the check open now (or none), so a page that lost an answer still shows it.
        data["attention"] = attention_prompt_state(result.prompt) if result.prompt is not None else None
    return JsonResponse(data)


@require_POST
def attention_answer(request, page_id):
    """Form fields ``prompt`` (the check's token) and ``answer`` (the number tapped), and whatever the
    deployment's identity check adds. Replies whether the check is closed, with a message for the trainee and
    the check still open (new numbers after a wrong one)."""
    if not request.user.is_authenticated:
        return _error(_("Your session has ended: sign in again."), 401)
    if not request.user.person_id:
        return _error(_("Your account is not linked to a trainee."), 403)
    try:
        token = request.POST["prompt"]
        answer = int(request.POST["answer"])
    except (KeyError, ValueError):
        return _error(_("Tap one of the numbers."), 400)
    lesson = get_object_or_404(LessonPage.objects.live(), pk=page_id)
    confirmed = attention_identity_confirmed(request, person=request.user.person, lesson=lesson)
    result = attention_prompt_answer(
        person_id=request.user.person_id, lesson_id=lesson.pk, token=token, answer=answer, identity_confirmed=confirmed,
    )
    if result.outcome == Answer.NOT_OPEN:
        return JsonResponse({"error": _("This check is no longer open: go on studying."), "closed": True}, status=409)
    missed = attention_missed(progress=result.progress)
    messages = {
        Answer.ANSWERED: _("Thank you: study time counts again."),
        Answer.ANSWERED_LATE: _(
            "Answered after the time allowed: this check is recorded as missed, and %(time)s of study since it "
            "appeared was not counted. Study time counts again."
        ) % {"time": minutes_seconds(result.prompt.uncounted_seconds)},
        Answer.WRONG: _("That is not the number asked for. Look again: the numbers have changed."),
        Answer.IDENTITY_REFUSED: _("Your identity could not be confirmed: try again."),
    }
    return JsonResponse({
        "closed": result.closed,
        "outcome": result.outcome,
        "message": messages[result.outcome],
        "attention": None if result.closed else attention_prompt_state(result.prompt),
        "missed": missed.text,
    })


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
