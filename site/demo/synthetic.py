"""Synthetic villages, institutions, people and posts: the demo data (manage.py load_demo) and the
benchmarks build their roster here.

- Deterministic: the same seed over the same regions gives the same villages, names, resident ID numbers,
  mobile numbers and posts (only the stored ciphertext differs: the encryption is salted).
- Fast: rows are written with bulk_create, a few statements per thousand rows.
- Marked: villages have ``is_synthetic`` set and institution codes start with ``DEMO-``.

The sizes follow Zhejiang (domain.md section 5): one child supervisor per township, about 15 villages per
township with one child director each, a children's welfare institution in every city, a minor rescue and
protection centre in every county, 20 to 60 carers per welfare institution, and professional staff near
half of each institution's staff.
"""
import datetime
import random
from dataclasses import dataclass, fields

from django.db import transaction
from django.utils import timezone

from academy.accounts.models import User
from academy.accounts.services import accounts_for_people

from academy.organisation import resident_id
from academy.organisation.models import (
    CODE_LENGTHS,
    Institution,
    InstitutionKind,
    Person,
    Post,
    PostKind,
    ProfessionalCategory,
    Region,
    RegionLevel,
    RunLevel,
    Sex,
)

SYNTHETIC_INSTITUTION_PREFIX = "DEMO-"
# Never generated, so that the demo accounts can have memorable numbers (13800000001, ...).
RESERVED_MOBILE_PREFIX = "1380000"
PROVINCE_INSTITUTION_NAME = "浙江省儿童福利院"
# The province-run welfare institution stands in Hangzhou (拱墅区).
PROVINCE_INSTITUTION_REGION = "330105"
# Posts start no earlier than this: the child director system dates from the 2010s.
EARLIEST_START = datetime.date(2012, 1, 1)

# Villages and communities (村 / 社区) per township, by the kind of township: towns have the most villages,
# streets are urban and made of communities. Zhejiang averages about 15.
VILLAGES_PER_TOWNSHIP = {"街道": (6, 16), "镇": (12, 28), "乡": (6, 16)}
COMMUNITY_SHARE = {"街道": 0.85, "镇": 0.15, "乡": 0.0}
VILLAGE_NAME_FIRST = "东西南北上下前后新大小石金龙凤桃梅竹松枫杨柳黄白青长永和兴福安丰清平云星明双三五"
VILLAGE_NAME_SECOND = "山溪塘桥湖岭坑岙坞田源口头庄林峰湾浦港埠岗坪园阳里门洋岩畈垟墩河坝"

# Common surnames, most frequent (in Zhejiang) first, and characters of given names.
SURNAMES = "陈王张李吴徐周林金朱黄沈杨钱胡方何郑叶刘蒋赵潘孙姚余汪俞章应楼毛丁许马谢邵施冯蔡罗程傅戴宋曹董袁高范"
SURNAME_WEIGHTS = [1 / (rank + 4) for rank in range(len(SURNAMES))]
GIVEN_NAME_FIRST = "晓建海小春文国志永金立玉美秋嘉子思一雨佳"
GIVEN_NAME_MALE = "伟强军杰涛明华斌勇磊峰俊辉刚鹏浩宇平林波东晨健飞超凯亮鑫毅荣新江瑞豪"
GIVEN_NAME_FEMALE = "芳娟敏静丽艳霞燕玲婷雪慧莉萍红琳晶颖倩英秀梅洁雅琴璐丹蕾薇楠悦怡欣露莹"
MOBILE_PREFIXES = (
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 173 177 "
    "180 181 182 183 185 186 187 188 189 198 199"
).split()

Category = ProfessionalCategory
# Who holds each post: share of women, youngest and oldest age today, and professional categories. Nobody
# is younger than 23, so everyone was 20 before any start date drawn (the latest is about 2.5 years ago
# for a predecessor who left).
PROFILES = {
    PostKind.CHILD_DIRECTOR: (0.7, 25, 59, {Category.NONE: 89, Category.SOCIAL_WORKER: 8, Category.TEACHER: 3}),
    PostKind.CHILD_SUPERVISOR: (0.55, 27, 57, {Category.NONE: 80, Category.SOCIAL_WORKER: 15, Category.TEACHER: 5}),
    PostKind.INSTITUTION_HEAD: (
        0.45, 38, 59,
        {Category.NONE: 55, Category.SOCIAL_WORKER: 25, Category.DOCTOR: 10, Category.TEACHER: 10},
    ),
    PostKind.CARER: (0.85, 23, 55, {Category.NONE: 95, Category.NURSE: 5}),
}
STAFF_PROFILES = {
    InstitutionKind.CHILDREN_WELFARE: (
        0.7, 23, 58,
        {
            Category.NONE: 10, Category.TEACHER: 18, Category.DOCTOR: 10, Category.NURSE: 22,
            Category.SOCIAL_WORKER: 18, Category.COUNSELLOR: 8, Category.THERAPIST: 14,
        },
    ),
    InstitutionKind.MINOR_PROTECTION: (
        0.6, 23, 58,
        {
            Category.NONE: 40, Category.SOCIAL_WORKER: 25, Category.COUNSELLOR: 12, Category.TEACHER: 12,
            Category.DOCTOR: 5, Category.NURSE: 6,
        },
    ),
}
# Shares of posts with a history: a predecessor who left, one director for two neighbouring villages, a
# carer who had been other staff of the same institution first.
LEFT_SHARE = 0.06
TWO_VILLAGES_SHARE = 0.02
STAFF_THEN_CARER_SHARE = 0.05


@dataclass
class SyntheticCounts:
    villages: int = 0
    institutions: int = 0
    people: int = 0
    posts: int = 0
    accounts: int = 0

    def add(self, other: "SyntheticCounts") -> None:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


def city_has_synthetic_data(city_code: str) -> bool:
    return Region.objects.filter(code__startswith=city_code, is_synthetic=True).exists()


@transaction.atomic
def synthesise_city(
    *, city_code: str, seed: int = 0, today: datetime.date | None = None,
    villages_per_township: tuple[int, int] | None = None, carers_per_institution: tuple[int, int] = (20, 60),
) -> SyntheticCounts:
    """Villages, institutions, people, posts and trainee accounts for one city. A city that already has
    synthetic villages is left alone, so calling this again creates nothing."""
    if city_has_synthetic_data(city_code):
        return SyntheticCounts()
    city = Region.objects.get(code=city_code, level=RegionLevel.CITY)
    # A seed of its own per city: a city's data do not depend on which other cities are loaded.
    city_seed = f"{seed}:{city_code}"
    townships = list(Region.objects.filter(code__startswith=city_code, level=RegionLevel.TOWNSHIP))
    villages = synthesise_villages(townships=townships, seed=city_seed, per_township=villages_per_township)
    institutions = synthesise_institutions(cities=[city])
    people, posts = synthesise_people(
        townships=townships, villages=villages, institutions=institutions, seed=city_seed, today=today,
        carers_per_institution=carers_per_institution,
    )
    accounts = accounts_for_people(people=people)
    return SyntheticCounts(
        villages=len(villages), institutions=len(institutions), people=len(people), posts=len(posts),
        accounts=len(accounts),
    )


@transaction.atomic
def synthesise_province_institution(
    *, seed: int = 0, today: datetime.date | None = None, carers_per_institution: tuple[int, int] = (50, 80),
) -> SyntheticCounts:
    """The province-run children's welfare institution with its staff, unless it exists already."""
    code = institution_code("33", InstitutionKind.CHILDREN_WELFARE)
    if Institution.objects.filter(code=code).exists():
        return SyntheticCounts()
    institution = Institution.objects.create(
        code=code, name=PROVINCE_INSTITUTION_NAME, kind=InstitutionKind.CHILDREN_WELFARE,
        run_level=RunLevel.PROVINCE, region=Region.objects.get(code=PROVINCE_INSTITUTION_REGION),
    )
    people, posts = synthesise_people(
        townships=[], villages=[], institutions=[institution], seed=f"{seed}:33", today=today,
        carers_per_institution=carers_per_institution,
    )
    accounts = accounts_for_people(people=people)
    return SyntheticCounts(institutions=1, people=len(people), posts=len(posts), accounts=len(accounts))


def synthesise_villages(
    *, townships: list[Region], seed: int | str = 0, per_township: tuple[int, int] | None = None
) -> list[Region]:
    """Villages (村) and communities (社区) under each township, with 12-digit codes: the township's code
    and a 3-digit serial, 001-199 for communities and 201-399 for villages as in the statistical codes."""
    rng = random.Random(f"{seed}:villages")
    villages = []
    for township in townships:
        kind = _township_kind(township.name)
        low, high = per_township or VILLAGES_PER_TOWNSHIP[kind]
        count = rng.randint(low, high)
        communities = sum(rng.random() < COMMUNITY_SHARE[kind] for _ in range(count))
        names = _village_names(rng, count)
        for serial, name in enumerate(names[:communities], start=1):
            villages.append(_village(township, serial, name + "社区"))
        for serial, name in enumerate(names[communities:], start=201):
            villages.append(_village(township, serial, name + "村"))
    return Region.objects.bulk_create(villages, batch_size=1000)


def synthesise_institutions(*, cities: list[Region]) -> list[Institution]:
    """A city-run children's welfare institution (儿童福利院) in each city's first district, and a county-run
    minor rescue and protection centre (未成年人救助保护中心) in each county. Existing ones are kept."""
    counties_by_city = {}
    for county in Region.objects.filter(parent__in=cities, level=RegionLevel.COUNTY).order_by("code"):
        counties_by_city.setdefault(county.parent_id, []).append(county)
    institutions = []
    for city in cities:
        counties = counties_by_city.get(city.code, [])
        if counties:
            institutions.append(Institution(
                code=institution_code(city.code, InstitutionKind.CHILDREN_WELFARE), name=f"{city.name}儿童福利院",
                kind=InstitutionKind.CHILDREN_WELFARE, run_level=RunLevel.CITY, region=counties[0],
            ))
        for county in counties:
            # 杭州市西湖区..., but 青田县... : a district is named with its city.
            place = city.name + county.name if county.name.endswith("区") else county.name
            institutions.append(Institution(
                code=institution_code(county.code, InstitutionKind.MINOR_PROTECTION),
                name=f"{place}未成年人救助保护中心", kind=InstitutionKind.MINOR_PROTECTION,
                run_level=RunLevel.COUNTY, region=county,
            ))
    existing = set(Institution.objects.filter(code__in=[i.code for i in institutions]).values_list("code", flat=True))
    return Institution.objects.bulk_create([i for i in institutions if i.code not in existing], batch_size=1000)


def synthesise_people(
    *, townships: list[Region], villages: list[Region], institutions: list[Institution], seed: int | str = 0,
    today: datetime.date | None = None, carers_per_institution: tuple[int, int] = (20, 60),
) -> tuple[list[Person], list[Post]]:
    """People and their posts: a supervisor for each township, a director for each village, and the head,
    carers (in children's welfare institutions) and other staff of each institution. Some posts ended
    (their holder left and a successor took over); some people hold two posts."""
    roster = _Roster(seed=seed, today=today or timezone.localdate())
    for township in townships:
        roster.staff_region_post(PostKind.CHILD_SUPERVISOR, township)
    previous_village = None
    for village in villages:
        shares_director = (
            previous_village is not None and previous_village.parent_id == village.parent_id
            and roster.rng.random() < TWO_VILLAGES_SHARE
        )
        if shares_director:
            # The last person made is the previous village's current director.
            director = roster.people[-1]
            roster.add_post(director, PostKind.CHILD_DIRECTOR, village, None, roster.start_date(director))
        else:
            roster.staff_region_post(PostKind.CHILD_DIRECTOR, village)
        previous_village = village
    for institution in institutions:
        roster.staff_institution(institution, carers_per_institution)
    return roster.save()


class _Roster:
    """People and posts being generated, saved together at the end."""

    def __init__(self, *, seed: int | str, today: datetime.date):
        self.rng = random.Random(f"{seed}:people")
        self.today = today
        self.people: list[Person] = []
        self.posts: list[Post] = []
        self.birth_dates: dict[int, datetime.date] = {}
        self.counties = list(Region.objects.filter(level=RegionLevel.COUNTY).values_list("code", flat=True))
        self.taken_digests = set(Person.objects.values_list("id_number_digest", flat=True))
        self.taken_mobiles = set(Person.objects.exclude(mobile="").values_list("mobile", flat=True))
        self.taken_mobiles |= set(User.objects.exclude(phone=None).values_list("phone", flat=True))

    def staff_region_post(self, kind: str, region: Region) -> None:
        """The current holder of a township's or village's post, and sometimes a predecessor who left."""
        successor_from = None
        if self.rng.random() < LEFT_SHARE:
            successor_from = self._add_predecessor(kind, region, None, PROFILES[kind])
        person = self.person(region.code, PROFILES[kind])
        self.add_post(person, kind, region, None, self.start_date(person, successor_from))

    def staff_institution(self, institution: Institution, carers_per_institution: tuple[int, int]) -> None:
        region = institution.region
        successor_from = None
        if self.rng.random() < LEFT_SHARE:
            successor_from = self._add_predecessor(
                PostKind.INSTITUTION_HEAD, region, institution, PROFILES[PostKind.INSTITUTION_HEAD]
            )
        head = self.person(region.code, PROFILES[PostKind.INSTITUTION_HEAD])
        self.add_post(head, PostKind.INSTITUTION_HEAD, region, institution, self.start_date(head, successor_from))
        if institution.kind == InstitutionKind.CHILDREN_WELFARE:
            carers = self.rng.randint(*carers_per_institution)
            # Other staff: about as many as carers, nearly all professionals, for a professional share
            # between 40% and 55% of the staff.
            staff = round(carers * self.rng.uniform(0.7, 1.3))
        else:
            carers, staff = 0, self.rng.randint(4, 12)
        staff_profile = STAFF_PROFILES[institution.kind]
        for _ in range(staff):
            person = self.person(region.code, staff_profile)
            self.add_post(person, PostKind.INSTITUTION_STAFF, region, institution, self.start_date(person))
        for _ in range(carers):
            if self.rng.random() < LEFT_SHARE:
                self._add_predecessor(PostKind.CARER, region, institution, PROFILES[PostKind.CARER])
            person = self.person(region.code, PROFILES[PostKind.CARER])
            start = self.start_date(person)
            first = max(EARLIEST_START, self._adult(person))
            if self.rng.random() < STAFF_THEN_CARER_SHARE and (start - first).days > 400:
                earlier = self._date_between(first, start - datetime.timedelta(days=365))
                self.add_post(
                    person, PostKind.INSTITUTION_STAFF, region, institution, earlier, start - datetime.timedelta(days=1)
                )
            self.add_post(person, PostKind.CARER, region, institution, start)

    def _add_predecessor(self, kind, region, institution, profile) -> datetime.date:
        """Someone who held the post and left between two months and two years ago; returns the day after."""
        person = self.person(region.code, profile)
        end = self.today - datetime.timedelta(days=self.rng.randint(60, 730))
        start = self._date_between(max(EARLIEST_START, self._adult(person)), end - datetime.timedelta(days=180))
        self.add_post(person, kind, region, institution, start, end)
        return end + datetime.timedelta(days=1)

    def person(self, region_code: str, profile) -> Person:
        women, youngest, oldest, categories = profile
        sex = Sex.FEMALE if self.rng.random() < women else Sex.MALE
        age_days = self.rng.randint(youngest * 365, oldest * 365 + 364)
        born = self.today - datetime.timedelta(days=age_days)
        person = Person(
            name=self._name(sex), sex=sex, mobile=self._mobile(),
            professional_category=self.rng.choices(list(categories), weights=list(categories.values()))[0],
        )
        person.set_id_number(self._id_number(region_code, born, sex))
        self.birth_dates[id(person)] = born
        self.people.append(person)
        return person

    def add_post(self, person, kind, region, institution, start, end=None) -> None:
        self.posts.append(Post(
            person=person, kind=kind, region=region, institution=institution, start_date=start, end_date=end,
        ))

    def start_date(self, person: Person, earliest: datetime.date | None = None) -> datetime.date:
        """A start no earlier than ``earliest`` (a predecessor's leaving) nor before the person was 20."""
        if earliest is not None:
            return min(earliest + datetime.timedelta(days=self.rng.randint(0, 45)), self.today)
        first = max(EARLIEST_START, self._adult(person))
        return self._date_between(first, self.today - datetime.timedelta(days=30))

    def save(self) -> tuple[list[Person], list[Post]]:
        Person.objects.bulk_create(self.people, batch_size=1000)
        Post.objects.bulk_create(self.posts, batch_size=1000)
        return self.people, self.posts

    def _adult(self, person: Person) -> datetime.date:
        born = self.birth_dates[id(person)]
        return born.replace(year=born.year + 20, day=min(born.day, 28))

    def _date_between(self, first: datetime.date, last: datetime.date) -> datetime.date:
        if last <= first:
            return first
        return first + datetime.timedelta(days=self.rng.randint(0, (last - first).days))

    def _name(self, sex: str) -> str:
        surname = self.rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
        own = GIVEN_NAME_FEMALE if sex == Sex.FEMALE else GIVEN_NAME_MALE
        if self.rng.random() < 0.3:
            return surname + self.rng.choice(own)
        return surname + self.rng.choice(GIVEN_NAME_FIRST + own) + self.rng.choice(own)

    def _mobile(self) -> str:
        while True:
            mobile = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if mobile not in self.taken_mobiles and not mobile.startswith(RESERVED_MOBILE_PREFIX):
                self.taken_mobiles.add(mobile)
                return mobile

    def _id_number(self, region_code: str, born: datetime.date, sex: str) -> str:
        """Registered where the person works, or elsewhere in the province for one in seven; the
        17th digit is odd for men and even for women."""
        while True:
            county = region_code[:6] if self.rng.random() < 6 / 7 else self.rng.choice(self.counties)
            parity = "13579" if sex == Sex.MALE else "02468"
            first_seventeen = f"{county}{born:%Y%m%d}{self.rng.randrange(100):02d}{self.rng.choice(parity)}"
            number = first_seventeen + resident_id.check_character(first_seventeen)
            digests = resident_id.lookup_digests(number)
            if self.taken_digests.isdisjoint(digests):
                self.taken_digests.add(digests[0])
                return number


def _township_kind(name: str) -> str:
    for kind in ("街道", "镇"):
        if name.endswith(kind):
            return kind
    return "乡"


def _village_names(rng: random.Random, count: int) -> list[str]:
    names = []
    while len(names) < count:
        name = rng.choice(VILLAGE_NAME_FIRST) + rng.choice(VILLAGE_NAME_SECOND)
        if name not in names:
            names.append(name)
    return names


def _village(township: Region, serial: int, name: str) -> Region:
    code = f"{township.code}{serial:03d}"
    assert len(code) == CODE_LENGTHS[RegionLevel.VILLAGE]
    return Region(code=code, name=name, level=RegionLevel.VILLAGE, parent=township, is_synthetic=True)


def institution_code(region_code: str, kind: str) -> str:
    """DEMO-3301-CW: marked as synthetic, and stable, so that loading again finds it."""
    suffix = {InstitutionKind.CHILDREN_WELFARE: "CW", InstitutionKind.MINOR_PROTECTION: "MP"}[kind]
    return f"{SYNTHETIC_INSTITUTION_PREFIX}{region_code}-{suffix}"
