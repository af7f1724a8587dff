"""Factories of the organisation: regions, institutions, people and their posts; valid ID numbers; the
people placed for the scope tests (make_scope_world)."""
import datetime
import random
from types import SimpleNamespace

import factory

from academy.organisation import resident_id
from academy.organisation.models import (
    Institution, InstitutionKind, Person, Post, PostKind, ProfessionalCategory, Region, RunLevel, Sex,
)
from academy.organisation.roster import COLUMNS


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


def make_scope_world():
    """People placed so that each administrator's scope has an inside and an outside, for the scope
    tests of the management pages. 上城区 (330102) is the home county, 拱墅区 (330105) its neighbour in
    杭州市, 海曙区 (330203) a county of another city. Institutions of every run level sit in 上城区."""
    def village(township_code, name):
        return RegionFactory(
            code=township_code + "901", name=name, level="village",
            parent=Region.objects.get(code=township_code), is_synthetic=True,
        )

    home_village = village("330102001", "清波一村")
    neighbour_village = village("330105001", "米市巷一村")
    far_village = village("330203001", "南门一村")
    county_home = InstitutionFactory(name="上城区儿童福利院", run_level=RunLevel.COUNTY)
    city_home = InstitutionFactory(name="杭州市儿童福利院", run_level=RunLevel.CITY)
    province_home = InstitutionFactory(name="浙江省儿童福利院", run_level=RunLevel.PROVINCE)

    def person(name, mobile, **post):
        return PostFactory(person=PersonFactory(name=name, mobile=mobile), **post).person

    return SimpleNamespace(
        home_village=home_village,
        neighbour_village=neighbour_village,
        far_village=far_village,
        county_home=county_home,
        city_home=city_home,
        province_home=province_home,
        home_director=person("上城主任", "13900000001", kind=PostKind.CHILD_DIRECTOR, region=home_village),
        home_supervisor=person(
            "上城督导", "13900000002", kind=PostKind.CHILD_SUPERVISOR, region=Region.objects.get(code="330102001")
        ),
        former_director=person(
            "上城前主任", "13900000003", kind=PostKind.CHILD_DIRECTOR, region=home_village,
            start_date=datetime.date(2020, 1, 1), end_date=datetime.date(2022, 12, 31),
        ),
        county_carer=person("上城护理员", "13900000004", kind=PostKind.CARER, institution=county_home),
        neighbour_director=person("拱墅主任", "13900000005", kind=PostKind.CHILD_DIRECTOR, region=neighbour_village),
        city_head=person("市福利院院长", "13900000006", kind=PostKind.INSTITUTION_HEAD, institution=city_home),
        province_head=person(
            "省福利院院长", "13900000007", kind=PostKind.INSTITUTION_HEAD, institution=province_home
        ),
        far_director=person("海曙主任", "13900000008", kind=PostKind.CHILD_DIRECTOR, region=far_village),
    )


# Rosters and people in bulk, for the tests that need a job long enough to be interrupted -------------------


def make_villages(*, township_code: str = "330106002", count: int = 20) -> list[Region]:
    """``count`` synthetic villages under one township (西湖区's 北山街道 by default)."""
    township = Region.objects.get(code=township_code)
    return Region.objects.bulk_create(
        [
            Region(code=f"{township_code}{201 + n:03d}", name=f"测试{n}村", level="village", parent=township,
                   is_synthetic=True)
            for n in range(count)
        ],
        batch_size=1000,
    )


def roster_rows(*, count: int, villages: list[Region], first: int = 0, start_date: str = "2024-01-01") -> list[dict]:
    """Good roster rows (column field -> cell) of ``count`` child directors spread over ``villages``, each a
    different person with a unique ID number and mobile number; ``first`` shifts the people, so two calls
    with overlapping ranges give some of the same people."""
    rows = []
    for index in range(first, first + count):
        born = datetime.date(1965, 1, 1) + datetime.timedelta(days=index % 10000)
        village = villages[index % len(villages)]
        rows.append({
            "name": f"主任{index}", "sex": "女" if index % 2 else "男",
            "id_number": make_id_number(village.code, born, index // 10000),
            "mobile": f"137{index:08d}", "professional_category": "无", "post": "儿童主任",
            "region_code": village.code, "institution_code": "", "start_date": start_date, "end_date": "",
        })
    return rows


def roster_csv(rows: list[dict]) -> bytes:
    """A roster file as the template's csv: the headings, then ``rows`` (column field -> cell)."""
    lines = [",".join(column.heading for column in COLUMNS)]
    lines += [",".join(row.get(column.field, "") for column in COLUMNS) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def people_from_rows(rows: list[dict]) -> list[Person]:
    """The people of ``rows`` (of ``roster_rows``) as the roster would record them, written in bulk, without
    posts or accounts."""
    people = []
    for row in rows:
        person = Person(
            name=row["name"], sex=Sex.FEMALE if row["sex"] == "女" else Sex.MALE, mobile=row["mobile"],
            professional_category=ProfessionalCategory.NONE,
        )
        person.set_id_number(row["id_number"])
        people.append(person)
    return Person.objects.bulk_create(people, batch_size=1000)


def make_directors(
    *, count: int, villages: list[Region], first: int = 0, start: datetime.date = datetime.date(2024, 1, 1)
) -> list[Person]:
    """``count`` people, each the child director of one of ``villages`` since ``start``, written in bulk (the
    people of ``roster_rows`` from ``first``)."""
    rows = roster_rows(count=count, villages=villages, first=first)
    people = people_from_rows(rows)
    Post.objects.bulk_create(
        [
            Post(person=person, kind=PostKind.CHILD_DIRECTOR, region_id=row["region_code"], start_date=start)
            for row, person in zip(rows, people)
        ],
        batch_size=1000,
    )
    return people
