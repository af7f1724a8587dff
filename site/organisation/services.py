"""Writes to the organisation: people and their posts. Every other module (roster import, forms, demo
data) calls these, so each rule is applied in one place."""
import datetime

from django.db import transaction

from . import resident_id
from .models import Person, Post, ProfessionalCategory
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
    return Person.objects.filter(id_number_digest=resident_id.digest(id_number)).first()


def person_update(*, person: Person, **fields) -> Person:
    changed = [name for name, value in fields.items() if getattr(person, name) != value]
    for name in changed:
        setattr(person, name, fields[name])
    if changed:
        person.save(update_fields=[*changed, "updated_at"])
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
