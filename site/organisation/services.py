"""Writes to the organisation: people and their posts. Every other module (roster import, forms, demo
data) calls these, so each rule is applied in one place."""
import datetime

from django.db import transaction

from . import resident_id
from .models import Institution, Person, Post, ProfessionalCategory, Region, RegionLevel
from .rules import post_place_error


def person_create(
    *, name: str, sex: str, id_number: str, mobile: str = "",
    professional_category: str = ProfessionalCategory.NONE,
) -> Person:
    error = resident_id.validation_error(id_number)
    if error:
        raise ValueError(error)
    person = Person(name=name.strip(), sex=sex, mobile=mobile, professional_category=professional_category)
    person.set_id_number(id_number)
    person.save()
    return person


def person_find_by_id_number(id_number: str) -> Person | None:
    return Person.objects.filter(id_number_digest__in=resident_id.lookup_digests(id_number)).first()


@transaction.atomic
def person_update(*, person: Person, id_number: str | None = None, actor=None, **fields) -> Person:
    """Change a person's details. A new mobile number follows into their sign-in account, which is how
    they sign in; on an account the person has claimed it waits for them to confirm it, and the person's
    number stays as it was until then (accounts.services.account_for_person). ``actor`` made the change."""
    from academy.accounts.services import account_for_person

    changed = [name for name, value in fields.items() if getattr(person, name) != value]
    for name in changed:
        setattr(person, name, fields[name])
    if id_number and resident_id.normalise(id_number) != person.id_number:
        error = resident_id.validation_error(id_number)
        if error:
            raise ValueError(error)
        person.set_id_number(id_number)
        changed += ["id_number_encrypted", "id_number_digest", "id_number_masked", "id_number_key"]
    if changed:
        person.save(update_fields=[*changed, "updated_at"])
    if "mobile" in changed:
        account_for_person(person=person, actor=actor)
    return person


def post_open(
    *, person: Person, kind: str, start_date: datetime.date, region=None, institution=None,
    end_date: datetime.date | None = None,
) -> Post:
    error = post_place_error(kind, region, institution)
    if error:
        raise ValueError(error)
    return Post.objects.create(
        person=person, kind=kind, region=institution.region if institution else region,
        institution=institution, start_date=start_date, end_date=end_date,
    )


@transaction.atomic
def post_close(*, post: Post, end_date: datetime.date) -> Post:
    """Posts are closed, never deleted: coverage of past years depends on them."""
    if end_date < post.start_date:
        raise ValueError("A post cannot end before it starts.")
    post.end_date = end_date
    post.save(update_fields=["end_date"])
    return post


@transaction.atomic
def institution_save(*, institution: Institution) -> Institution:
    """Create or change an institution. A post in an institution carries the institution's region (every
    scope filter relies on it), so moving the institution moves its posts with it."""
    institution.save()
    Post.objects.filter(institution=institution).exclude(region=institution.region).update(region=institution.region)
    return institution


def village_create(*, township: Region, code: str, name: str) -> Region:
    """A village entered by an administrator: a real one, unlike the synthesised demo villages."""
    if township.level != RegionLevel.TOWNSHIP or not code.startswith(township.code) or len(code) != 12:
        raise ValueError("A village code is its township's code followed by three digits.")
    return Region.objects.create(
        code=code, name=name.strip(), level=RegionLevel.VILLAGE, parent=township, is_synthetic=False
    )
