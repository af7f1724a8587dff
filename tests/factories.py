"""factory-boy factories shared by every test module."""
import datetime
import random

import factory

from academy.accounts.models import User
from academy.organisation import resident_id
from academy.organisation.models import Institution, InstitutionKind, Person, Post, PostKind, Region, RunLevel, Sex


def make_id_number(region_code: str = "330102", born: datetime.date | None = None, serial: int | None = None) -> str:
    """A valid resident ID number with a correct check character."""
    born = born or datetime.date(1980, 1, 1) + datetime.timedelta(days=random.randint(0, 12000))
    serial = random.randint(0, 999) if serial is None else serial
    first_seventeen = f"{region_code[:6]}{born:%Y%m%d}{serial:03d}"
    return first_seventeen + resident_id.check_character(first_seventeen)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"33019{n:04d}")
    name = factory.Sequence(lambda n: f"测试区划{n}")
    level = "township"
    parent = None


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    code = factory.Sequence(lambda n: f"INST{n:06d}")
    name = factory.Sequence(lambda n: f"测试儿童福利院{n}")
    kind = InstitutionKind.CHILDREN_WELFARE
    run_level = RunLevel.COUNTY
    region = factory.LazyFunction(lambda: Region.objects.get(code="330102"))


class PersonFactory(factory.django.DjangoModelFactory):
    """``id_number`` (a valid number by default) is kept encrypted through Person.set_id_number."""

    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"张{n}")
    sex = Sex.FEMALE
    mobile = factory.Sequence(lambda n: f"139{n:08d}")
    id_number = factory.LazyFunction(make_id_number)

    @classmethod
    def _build(cls, model_class, *args, id_number, **kwargs):
        person = model_class(*args, **kwargs)
        person.set_id_number(id_number)
        return person

    @classmethod
    def _create(cls, model_class, *args, id_number, **kwargs):
        person = cls._build(model_class, *args, id_number=id_number, **kwargs)
        person.save()
        return person


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    person = factory.SubFactory(PersonFactory)
    kind = PostKind.CHILD_DIRECTOR
    start_date = datetime.date(2024, 1, 1)
    end_date = None

    @factory.lazy_attribute
    def region(self):
        if self.institution is not None:
            return self.institution.region
        return None

    institution = None


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.Sequence(lambda n: f"user{n}@example.org")
    password = factory.django.Password("correct-horse-battery")
