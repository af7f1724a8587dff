"""Face-to-face sessions (培训班): the writes (create, update, enrol, mark attendance, check in) and the
reads other pages need (sessions in an administrator's scope, a trainee's sessions).

Attendance is what counts: marking someone present, or their own check-in, writes the one TrainingRecord of
the session for them, so coverage and transcripts see face-to-face training exactly like an online course.

Who may be enrolled is decided by the session's organiser, not by whoever is looking at it: a session
organised by a county enrols people of that county, even when the province or a system administrator
manages it. That scope is always inside the scope of every administrator who may open the session.
"""
import csv
import datetime
import io
import secrets
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl import load_workbook

from academy import spreadsheets
from academy.accounts import phone as mobile_numbers
from academy.organisation import resident_id
from academy.organisation.models import Person
from academy.organisation.scope import Scope

from .models import Attendance, SessionEnrolment, TrainingRecord, TrainingSession, TrainingSource
from .plans import plan_statuses_refresh

# An enrolment list is a class list, not a roster: beyond this many rows it is a mistake.
MAX_ENROLMENT_FILE_ROWS = 2000
# What a workbook of that many rows may unpack to, with room for formatting: a real one unpacks to well under 1 MB.
MAX_ENROLMENT_FILE_UNPACKED_BYTES = 10 * 1024 * 1024
# Wrong check-in codes a trainee may type before waiting: six digits must not be guessable by trying.
CHECK_IN_MAX_FAILURES = 10
CHECK_IN_FAILURE_SECONDS = 15 * 60


# --- Reads -----------------------------------------------------------------------------------------------


def sessions_in_scope(*, scope: Scope) -> QuerySet:
    """The sessions an administrator sees and manages: those organised anywhere inside their scope."""
    if scope.is_empty:
        return TrainingSession.objects.none()
    return TrainingSession.objects.filter(organiser_region__code__startswith=scope.region_code)


def session_list(*, scope: Scope) -> QuerySet:
    """Sessions in scope, latest first, with ``enrolled_count`` and ``present_count``."""
    return (
        sessions_in_scope(scope=scope)
        .select_related("organiser_region", "course")
        .annotate(
            enrolled_count=Count("enrolments"),
            present_count=Count("enrolments", filter=Q(enrolments__attendance=Attendance.PRESENT)),
        )
        .order_by("-starts_at", "pk")
    )


def organiser_scope(session: TrainingSession) -> Scope:
    """The people a session may enrol: those in the scope of its organiser."""
    return Scope.of_region(session.organiser_region)


def session_enrolments(session: TrainingSession) -> QuerySet:
    return session.enrolments.select_related("person").order_by("person__name", "pk")


def sessions_for_person(person: Person, *, year: int | None = None) -> QuerySet:
    """A trainee's face-to-face sessions, latest first, as SessionEnrolment rows with ``session`` loaded
    (``attendance`` and ``checked_in_at`` say how it went). For "My learning" and the check-in page."""
    enrolments = person.session_enrolments.select_related("session", "session__course")
    if year is not None:
        start, end = _year_bounds(year)
        enrolments = enrolments.filter(session__starts_at__gte=start, session__starts_at__lt=end)
    return enrolments.order_by("-session__starts_at", "pk")


def _year_bounds(year: int):
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.datetime(year, 1, 1), zone),
        timezone.make_aware(datetime.datetime(year + 1, 1, 1), zone),
    )


# --- Sessions --------------------------------------------------------------------------------------------


def new_check_in_code() -> str:
    """Six random digits (``secrets``, not ``random``: the code is what proves a trainee was there)."""
    return f"{secrets.randbelow(10**6):06d}"


def _unused_check_in_code() -> str:
    """A code no running or coming session uses, so that a typed code names one session. Past sessions'
    codes may come back: their windows are closed."""
    in_use = set(
        TrainingSession.objects.filter(ends_at__gte=timezone.now()).values_list("check_in_code", flat=True)
    )
    code = new_check_in_code()
    while code in in_use:
        code = new_check_in_code()
    return code


def session_create(
    *, organiser_region, title: str, starts_at, ends_at, venue: str, capacity: int, credit_hours: Decimal,
    course=None, description: str = "", created_by=None,
) -> TrainingSession:
    session = TrainingSession(
        organiser_region=organiser_region, title=title.strip(), course=course, description=description,
        starts_at=starts_at, ends_at=ends_at, venue=venue.strip(), capacity=capacity, credit_hours=credit_hours,
        check_in_code=_unused_check_in_code(), created_by=created_by,
    )
    session.full_clean(exclude=["created_by"])
    session.save()
    return session


@transaction.atomic
def session_update(*, session: TrainingSession, **fields) -> TrainingSession:
    """Change a session's details. Capacity cannot drop below the people enrolled, nor credit hours below
    hours already credited for partial attendance; the training records follow the new details."""
    session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    for name, value in fields.items():
        setattr(session, name, value)
    enrolled = session.enrolments.count()
    if session.capacity < enrolled:
        raise ValidationError(
            {"capacity": ngettext(
                "%(count)s person is enrolled; unenrol before lowering the capacity.",
                "%(count)s people are enrolled; unenrol some before lowering the capacity.", enrolled,
            ) % {"count": enrolled}}
        )
    largest_partial = max(
        session.enrolments.filter(attendance=Attendance.PARTIAL).values_list("partial_hours", flat=True), default=None
    )
    if largest_partial is not None and session.credit_hours < largest_partial:
        raise ValidationError(
            {"credit_hours": _("Someone was already credited %(hours)s hours for partial attendance.")
             % {"hours": largest_partial}}
        )
    session.full_clean(exclude=["created_by"])
    session.save()
    for enrolment in session.enrolments.filter(attendance__in=[Attendance.PRESENT, Attendance.PARTIAL]):
        enrolment.session = session
        _record_sync(enrolment)
    return session


# --- Enrolment -------------------------------------------------------------------------------------------


@transaction.atomic
def session_enrol(*, session: TrainingSession, people) -> int:
    """Enrol ``people`` (all or none); returns how many were newly enrolled. People already enrolled are
    left as they are. Refused when someone is outside the organiser's scope or places run out."""
    # Lock the session so that two administrators enrolling at once cannot overfill it.
    session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    person_ids = {person.pk for person in people}
    in_scope = organiser_scope(session).people(Person.objects.filter(pk__in=person_ids))
    in_scope = set(in_scope.values_list("pk", flat=True))
    if in_scope != person_ids:
        raise ValidationError(_("Only people in the organiser's area can be enrolled."))
    already = set(session.enrolments.filter(person_id__in=person_ids).values_list("person_id", flat=True))
    new_ids = sorted(person_ids - already)
    enrolled = session.enrolments.count()
    if enrolled + len(new_ids) > session.capacity:
        raise ValidationError(
            _(
                "Not enough places: the capacity is %(capacity)s, %(enrolled)s are enrolled and %(asked)s more "
                "were chosen."
            ) % {"capacity": session.capacity, "enrolled": enrolled, "asked": len(new_ids)}
        )
    SessionEnrolment.objects.bulk_create([SessionEnrolment(session=session, person_id=pk) for pk in new_ids])
    return len(new_ids)


@transaction.atomic
def session_unenrol(*, enrolment: SessionEnrolment) -> None:
    """Remove someone enrolled by mistake. Not once they attended: their record stands, mark them absent
    first if the attendance was wrong."""
    enrolment = SessionEnrolment.objects.select_for_update().get(pk=enrolment.pk)
    if enrolment.attendance in (Attendance.PRESENT, Attendance.PARTIAL):
        raise ValidationError(_("%(name)s attended this session; mark them absent first if that was a mistake.")
                              % {"name": enrolment.person.name})
    enrolment.delete()


@dataclass(frozen=True)
class RowError:
    row: int
    message: str


@dataclass
class EnrolmentFile:
    """What an uploaded list names: the people found, or the rows that are wrong."""

    people: list[Person] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def enrolment_file_check(*, session: TrainingSession, upload) -> EnrolmentFile:
    """Read a .csv or .xlsx whose first column lists resident ID numbers or mobile numbers, one person a
    row (a first row not starting with a digit is a heading), and find each person in the organiser's scope.
    Writes nothing: the caller enrols ``people`` only when ``errors`` is empty."""
    result = EnrolmentFile()
    try:
        rows = _first_column(upload)
    except ValueError as error:
        result.errors.append(RowError(0, str(error)))
        return result
    rows = [(number, text) for number, text in rows if text]
    if rows and not rows[0][1][0].isdigit() and not mobile_numbers.is_valid(rows[0][1]):
        rows = rows[1:]  # a heading such as 身份证号码(18位)
    if not rows:
        result.errors.append(RowError(0, _("The file lists nobody: put the ID or mobile numbers in the first column.")))
        return result
    if len(rows) > MAX_ENROLMENT_FILE_ROWS:
        too_long = _("The file has more than %(count)s rows.") % {"count": MAX_ENROLMENT_FILE_ROWS}
        result.errors.append(RowError(0, too_long))
        return result

    wanted = []  # (row, "id" or "mobile", digest or number)
    candidates = {}  # every digest an ID number may be stored under -> its digest under the writing key
    for number, text in rows:
        if mobile_numbers.is_valid(text):
            wanted.append((number, "mobile", mobile_numbers.normalise(text)))
            continue
        error = resident_id.validation_error(text)
        if error:
            result.errors.append(RowError(number, error))
        else:
            digests = resident_id.lookup_digests(text)
            wanted.append((number, "id", digests[0]))
            # During a key rotation a stored digest may still be under an older key: each leads to the row's.
            candidates.update(dict.fromkeys(digests, digests[0]))

    # Two queries for the whole file, whatever its length.
    scope = organiser_scope(session)
    mobiles = [key for _number, kind, key in wanted if kind == "mobile"]
    by_digest = {
        candidates[person.id_number_digest]: person
        for person in scope.people(Person.objects.filter(id_number_digest__in=candidates))
    }
    by_mobile = defaultdict(list)
    for person in scope.people(Person.objects.filter(mobile__in=mobiles)):
        by_mobile[person.mobile].append(person)

    seen = set()
    for number, kind, key in wanted:
        if kind == "id":
            person = by_digest.get(key)
            if person is None:
                result.errors.append(RowError(number, _("Nobody in the organiser's area has this resident ID number.")))
                continue
        else:
            matches = by_mobile.get(key, [])
            if not matches:
                result.errors.append(RowError(number, _("Nobody in the organiser's area has this mobile number.")))
                continue
            if len(matches) > 1:
                result.errors.append(RowError(number, _(
                    "Several people in the organiser's area share this mobile number; use the resident ID number."
                )))
                continue
            person = matches[0]
        if person.pk not in seen:  # a person listed twice is enrolled once
            seen.add(person.pk)
            result.people.append(person)
    result.errors.sort(key=lambda error: error.row)
    return result


def _first_column(upload) -> list[tuple[int, str]]:
    """(row number, text) of the first column of a .csv or .xlsx upload. Sizes are checked before the file is
    parsed and rows are read only up to the limit (a heading row and MAX_ENROLMENT_FILE_ROWS people)."""
    name = upload.name.lower()
    try:
        if name.endswith(".xlsx"):
            spreadsheets.xlsx_upload_check(
                upload, max_rows=MAX_ENROLMENT_FILE_ROWS, max_unpacked_bytes=MAX_ENROLMENT_FILE_UNPACKED_BYTES
            )
            try:
                workbook = load_workbook(upload, read_only=True, data_only=True)
            except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
                raise ValueError(_("This file could not be read as an Excel (.xlsx) workbook.")) from error
            try:
                sheet = workbook.worksheets[0]
                # Read the rows the file holds, not the size it declares (which may be wrong either way).
                sheet.reset_dimensions()
                rows = spreadsheets.rows_capped(
                    sheet.iter_rows(max_col=1, values_only=True), max_rows=MAX_ENROLMENT_FILE_ROWS
                )
                return [(number, _cell_text(row[0] if row else None)) for number, row in enumerate(rows, start=1)]
            finally:
                workbook.close()
        if name.endswith(".csv"):
            text = _decode(upload.read())
            try:
                rows = spreadsheets.rows_capped(csv.reader(io.StringIO(text)), max_rows=MAX_ENROLMENT_FILE_ROWS)
                return [(number, _cell_text(row[0] if row else "")) for number, row in enumerate(rows, start=1)]
            except csv.Error as error:  # a field past the csv module's own limit, or a stray NUL
                raise ValueError(_("This file could not be read as CSV.")) from error
    except spreadsheets.SpreadsheetRefused as refused:
        raise ValueError(refused.message) from refused
    raise ValueError(_("Upload a .csv or .xlsx file."))


def _decode(raw: bytes) -> str:
    # Excel on a Chinese Windows saves CSV in GB18030 (GBK); everything else writes UTF-8, often with a BOM.
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError as error:
            raise ValueError(_("This CSV file is neither UTF-8 nor GBK text.")) from error


def _cell_text(value) -> str:
    # Full-width digits from a Chinese input method count as digits; spaces inside a number do not matter.
    return "".join(unicodedata.normalize("NFKC", spreadsheets.cell_text(value)).split())


# --- Attendance ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceMark:
    enrolment_id: int
    attendance: str
    partial_hours: Decimal | None = None


MARKABLE = (Attendance.PRESENT, Attendance.PARTIAL, Attendance.ABSENT)


@transaction.atomic
def attendance_mark(*, session: TrainingSession, marks: list[AttendanceMark], marked_by=None) -> int:
    """Mark attendance for some of a session's enrolments; returns how many changed. Marking the same
    again changes nothing."""
    enrolments = {
        enrolment.pk: enrolment
        for enrolment in session.enrolments.select_for_update(of=("self",)).select_related("person")
        .filter(pk__in=[mark.enrolment_id for mark in marks])
    }
    changed = 0
    for mark in marks:
        enrolment = enrolments.get(mark.enrolment_id)
        if enrolment is None:
            raise ValidationError(_("Someone on this list is not enrolled in the session."))
        if mark.attendance not in MARKABLE:
            raise ValidationError(_("Choose present, partly present or absent."))
        hours = mark.partial_hours if mark.attendance == Attendance.PARTIAL else None
        if mark.attendance == Attendance.PARTIAL and (hours is None or not 0 < hours <= session.credit_hours):
            raise ValidationError(
                _("Hours for partial attendance are more than 0 and at most %(hours)s.")
                % {"hours": session.credit_hours}
            )
        if enrolment.attendance == mark.attendance and enrolment.partial_hours == hours:
            continue
        enrolment.attendance = mark.attendance
        enrolment.partial_hours = hours
        enrolment.marked_by = marked_by
        enrolment.save(update_fields=["attendance", "partial_hours", "marked_by"])
        enrolment.session = session
        _record_sync(enrolment)
        changed += 1
    return changed


def _record_sync(enrolment: SessionEnrolment) -> TrainingRecord | None:
    record = _record_write(enrolment)
    plan_statuses_refresh(person=enrolment.person)  # the training plans and their coverage counts see it at once
    return record


def _record_write(enrolment: SessionEnrolment) -> TrainingRecord | None:
    """Make the person's TrainingRecord of the session say what the attendance says (at most one record a
    session and person: the session_record_once constraint)."""
    session = enrolment.session
    if enrolment.attendance in (Attendance.PRESENT, Attendance.PARTIAL):
        present = enrolment.attendance == Attendance.PRESENT
        record, _created = TrainingRecord.objects.update_or_create(
            person=enrolment.person, session=session,
            defaults={
                "year": session.year,
                "source": TrainingSource.FACE_TO_FACE,
                "course": session.course,
                "title": session.title,
                "completed_on": session.date,
                "credit_hours": session.credit_hours if present else enrolment.partial_hours,
                # Only full attendance completes the session (and its course); part of it credits hours.
                "counts_as_completion": present,
            },
        )
        return record
    # Absent or not marked. A record is otherwise never deleted (it is the history coverage is computed
    # from), but one here came from a mark the organiser has now corrected as an error: it must go.
    TrainingRecord.objects.filter(person=enrolment.person, session=session).delete()
    return None


# --- Check-in --------------------------------------------------------------------------------------------


class CheckInRefused(Exception):
    """A check-in that cannot be accepted; ``message`` tells the trainee why and what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CheckIn:
    enrolment: SessionEnrolment
    already: bool


def check_in_with_code(*, person: Person, code: str, now=None) -> CheckIn:
    """Check in with the six digits shown at the venue. Only people enrolled in the session check in
    themselves; a walk-in asks the organiser, who enrols them (in scope, within capacity) on the spot."""
    now = now or timezone.now()
    failures_key = f"courses:check-in-failures:{person.pk}"
    if cache.get(failures_key, 0) >= CHECK_IN_MAX_FAILURES:
        raise CheckInRefused(
            _("Too many wrong codes. Wait %(minutes)s minutes, or ask the organiser to mark you present.")
            % {"minutes": CHECK_IN_FAILURE_SECONDS // 60}
        )
    code = "".join(unicodedata.normalize("NFKC", code or "").split())
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        raise CheckInRefused(_("The check-in code has 6 digits."))

    enrolments = list(
        SessionEnrolment.objects.filter(person=person, session__check_in_code=code).select_related("session")
    )
    if not enrolments:
        _count_failure(failures_key)
        if TrainingSession.objects.filter(check_in_code=code, ends_at__gte=now).exists():
            raise CheckInRefused(
                _("You are not enrolled in this session. Ask the organiser to enrol you, then check in again.")
            )
        raise CheckInRefused(_("No session has this check-in code. Check the code shown at the venue."))
    # Codes of past sessions can come back; the session whose window is open, or else the nearest, is meant.
    enrolments.sort(
        key=lambda enrolment: (not enrolment.session.is_check_in_open(now), abs(enrolment.session.starts_at - now))
    )
    return _check_in(enrolments[0], now)


def check_in_to_session(*, person: Person, session: TrainingSession, now=None) -> CheckIn:
    """Check in by the session's QR code."""
    now = now or timezone.now()
    enrolment = SessionEnrolment.objects.filter(person=person, session=session).select_related("session").first()
    if enrolment is None:
        raise CheckInRefused(_not_enrolled_message(session))
    return _check_in(enrolment, now)


def check_in_problem(*, person: Person, session: TrainingSession, now=None) -> str | None:
    """Why ``person`` cannot check in to ``session`` now, or None: for showing before they try."""
    if not session.enrolments.filter(person=person).exists():
        return _not_enrolled_message(session)
    return _window_problem(session, now or timezone.now())


def _not_enrolled_message(session: TrainingSession) -> str:
    return _("You are not enrolled in “%(title)s”. Ask the organiser to enrol you, then check in again.") % {
        "title": session.title
    }


def _window_problem(session: TrainingSession, now) -> str | None:
    if now < session.check_in_opens_at:
        return _("Check-in for “%(title)s” opens at %(time)s, %(minutes)s minutes before the session starts.") % {
            "title": session.title, "time": _local(session.check_in_opens_at),
            "minutes": int(session.CHECK_IN_OPENS_BEFORE.total_seconds() // 60),
        }
    if now > session.check_in_closes_at:
        return _(
            "Check-in for “%(title)s” closed when the session ended at %(time)s. Ask the organiser if you attended."
        ) % {"title": session.title, "time": _local(session.check_in_closes_at)}
    return None


def _count_failure(key: str) -> None:
    cache.add(key, 0, CHECK_IN_FAILURE_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, CHECK_IN_FAILURE_SECONDS)


@transaction.atomic
def _check_in(enrolment: SessionEnrolment, now) -> CheckIn:
    session = enrolment.session
    enrolment = SessionEnrolment.objects.select_for_update(of=("self",)).select_related("person").get(pk=enrolment.pk)
    enrolment.session = session
    if enrolment.checked_in_at is not None:
        return CheckIn(enrolment, already=True)
    problem = _window_problem(session, now)
    if problem:
        raise CheckInRefused(problem)
    enrolment.checked_in_at = now
    # Checking in makes someone present, but never overrides partial attendance the organiser credited.
    if enrolment.attendance in (Attendance.UNMARKED, Attendance.ABSENT):
        enrolment.attendance = Attendance.PRESENT
        enrolment.partial_hours = None
    enrolment.save(update_fields=["checked_in_at", "attendance", "partial_hours"])
    _record_sync(enrolment)
    return CheckIn(enrolment, already=False)


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
