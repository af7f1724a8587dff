"""Writes to the organisation: people and their posts. Every other module (roster import, forms, demo
data) calls these, so each rule is applied in one place. ``actor`` is the administrator making the change:
they may change only people every post of whom they manage (scope.person_check_manageable), and each change
is recorded in the audit trail under their name. ``actor`` None is the platform itself (demo data, test
set-ups), which manages everyone; no page passes None."""
import datetime
import os

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from academy.accounts.services import account_for_person, account_phone_taken
from academy.audit.models import AuditAction
from academy.audit.services import audit_record

from . import resident_id
from .models import Institution, Person, Post, ProfessionalCategory, Region, RegionLevel
from .rules import post_place_error
from .scope import PersonChangeRefused, person_check_manageable, scope_for
from .signals import people_renamed

class PostRefused(Exception):
    """A post that cannot be opened: the person already holds it, open, in that place."""


class AlreadyTaken(Exception):
    """A value the database keeps to one row (a person's ID number, an account's mobile number, a division
    code, an institution code) that another administrator gave a moment ago: the form's own check passed, the
    database refused. ``field`` is the form field at fault, ``message`` names the conflict."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _id_number_refusal() -> AlreadyTaken:
    return AlreadyTaken("id_number", _("Another person already has this resident ID number."))


# The fields an ID number is stored in, named "id_number" in the audit trail (never with its value).
_ID_NUMBER_FIELDS = ["id_number_encrypted", "id_number_digest", "id_number_masked", "id_number_key"]


def person_create(
    *, name: str, sex: str, id_number: str, mobile: str = "",
    professional_category: str = ProfessionalCategory.NONE, actor=None,
) -> Person:
    error = resident_id.validation_error(id_number)
    if error:
        raise ValueError(error)
    person = Person(name=name.strip(), sex=sex, mobile=mobile, professional_category=professional_category)
    person.set_id_number(id_number)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        # One person per ID number (its digest is unique): someone added the same person a moment ago.
        if person_find_by_id_number(id_number) is None:
            raise
        raise _id_number_refusal() from None
    audit_record(
        action=AuditAction.PERSON_CREATED, actor=actor, target=person,
        region_code=getattr(actor, "admin_region_id", None) or "",
    )
    return person


def person_find_by_id_number(id_number: str) -> Person | None:
    return Person.objects.filter(id_number_digest__in=resident_id.lookup_digests(id_number)).first()


def _person_region_code(person: Person) -> str:
    """The region an audit entry about ``person`` is filed under: the one holding all their posts."""
    return os.path.commonprefix(list(person.posts.values_list("region_id", flat=True)))


@transaction.atomic
def person_update(*, person: Person, actor, id_number: str | None = None, **fields) -> Person:
    """Change a person's details. A new mobile number follows into their sign-in account, which is how
    they sign in; on an account the person has claimed it waits for them to confirm it, and the person's
    number stays as it was until then (accounts.services.account_for_person)."""
    if actor is not None:
        person_check_manageable(scope=scope_for(actor), person=person)
    changed = [name for name, value in fields.items() if getattr(person, name) != value]
    for name in changed:
        setattr(person, name, fields[name])
    audited = list(changed)
    if id_number and resident_id.normalise(id_number) != person.id_number:
        error = resident_id.validation_error(id_number)
        if error:
            raise ValueError(error)
        person.set_id_number(id_number)
        changed += _ID_NUMBER_FIELDS
        audited.append("id_number")
    if changed:
        try:
            with transaction.atomic():
                person.save(update_fields=[*changed, "updated_at"])
        except IntegrityError:
            # Another person was given this ID number at the same moment (the digest is unique).
            if "id_number_digest" not in changed or not _id_number_taken(person):
                raise
            raise _id_number_refusal() from None
        audit_record(
            action=AuditAction.PERSON_CHANGED, actor=actor, target=person,
            region_code=_person_region_code(person), detail={"fields": sorted(audited)},
        )
        if "name" in changed:
            people_renamed.send(sender=Person, person_ids=[person.pk])
    if "mobile" in changed:
        try:
            with transaction.atomic():
                account_for_person(person=person, actor=actor)
        except IntegrityError:
            # The number became another account's sign-in number a moment ago (users' phones are unique).
            if not account_phone_taken(phone=person.mobile, person=person):
                raise
            raise AlreadyTaken("mobile", _("This mobile number already signs in to another account.")) from None
    return person


def _id_number_taken(person: Person) -> bool:
    return Person.objects.filter(id_number_digest=person.id_number_digest).exclude(pk=person.pk).exists()


@transaction.atomic
def post_open(
    *, person: Person, actor, kind: str, start_date: datetime.date, region=None, institution=None,
    end_date: datetime.date | None = None,
) -> Post:
    """A new post for ``person``, in ``actor``'s scope. A person holding no post elsewhere may be taken
    on by any region: that is how someone moves once their old region has ended their post."""
    error = post_place_error(kind, region, institution)
    if error:
        raise ValueError(error)
    post = Post(
        person=person, kind=kind, region=institution.region if institution else region,
        institution=institution, start_date=start_date, end_date=end_date,
    )
    if actor is not None:
        scope = scope_for(actor)
        person_check_manageable(scope=scope, person=person)
        if not scope.contains_post(post):
            raise PersonChangeRefused(_("This post is outside the area you administer."))
    try:
        with transaction.atomic():
            post.save()
    except IntegrityError as error:
        # The database keeps one open post of a kind per person and place (Post.Meta): another administrator
        # may have given the same post a moment ago.
        held = Post.objects.filter(
            person=person, kind=kind, region=post.region, institution=institution, end_date__isnull=True
        ).first()
        if held is None:
            raise
        raise PostRefused(_(
            "%(name)s already holds the post %(post)s at %(place)s from %(start)s; end that post before giving it "
            "again."
        ) % {
            "name": person.name, "post": held.get_kind_display(), "place": held.institution or held.region,
            "start": held.start_date.isoformat(),
        }) from error
    audit_record(
        action=AuditAction.POST_CREATED, actor=actor, target=post, region_code=post.region_id,
        detail={"person": person.pk, "kind": kind, "start_date": start_date.isoformat()},
    )
    return post


@transaction.atomic
def post_close(*, post: Post, end_date: datetime.date, actor) -> Post:
    """Posts are closed, never deleted: coverage of past years depends on them. Ending a post in one's
    own scope is always allowed, even for someone who also holds posts elsewhere: it is the first step
    of a move."""
    if actor is not None and not scope_for(actor).contains_post(post):
        raise PersonChangeRefused(_("This post is outside the area you administer."))
    if end_date < post.start_date:
        raise ValueError("A post cannot end before it starts.")
    post.end_date = end_date
    post.save(update_fields=["end_date"])
    audit_record(
        action=AuditAction.POST_CHANGED, actor=actor, target=post, region_code=post.region_id,
        detail={"person": post.person_id, "fields": ["end_date"], "end_date": end_date.isoformat()},
    )
    return post


@transaction.atomic
def institution_save(*, institution: Institution) -> Institution:
    """Create or change an institution. A post in an institution carries the institution's region (every
    scope filter relies on it), so moving the institution moves its posts with it."""
    try:
        with transaction.atomic():
            institution.save()
    except IntegrityError:
        # The code is unique: another administrator added an institution with it a moment ago.
        existing = Institution.objects.filter(code=institution.code).exclude(pk=institution.pk).first()
        if existing is None:
            raise
        raise AlreadyTaken(
            "code", _("The institution code %(code)s already belongs to %(name)s.")
            % {"code": institution.code, "name": existing.name}
        ) from None
    Post.objects.filter(institution=institution).exclude(region=institution.region).update(region=institution.region)
    return institution


def village_create(*, township: Region, code: str, name: str) -> Region:
    """A village entered by an administrator: a real one, unlike the synthesised demo villages."""
    if township.level != RegionLevel.TOWNSHIP or not code.startswith(township.code) or len(code) != 12:
        raise ValueError("A village code is its township's code followed by three digits.")
    try:
        with transaction.atomic():
            return Region.objects.create(
                code=code, name=name.strip(), level=RegionLevel.VILLAGE, parent=township, is_synthetic=False
            )
    except IntegrityError:
        # The code is the key: another administrator added this village a moment ago.
        existing = Region.objects.filter(code=code).first()
        if existing is None:
            raise
        raise AlreadyTaken(
            "code_suffix", _("Code %(code)s already belongs to %(name)s.") % {"code": code, "name": existing.name}
        ) from None
