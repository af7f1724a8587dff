"""The synthetic national data set of bench/national_scale.py (issue 4, section 6).

A nation of 31 provinces: Zhejiang with its real divisions (data/zhejiang-divisions.csv) and 30 provinces
synthesised by code pattern (13 cities x 8 counties x 14 townships), every township with 8 to 19 villages:
about 45,000 townships and 600,000 villages, all synthesised regions marked is_synthetic. In them:

- a child director per village, a child supervisor per township and a head per institution (about 460
  institutions: a province-run welfare institution and minor-protection centre per province, a city-run
  welfare institution per city): about 650,000 people in post on any day;
- posts that change hands (4 to 8% of seats a year, after a vacancy of up to two months), some leavers
  who take up the same post elsewhere in their county within three months (two posts of one tier in a
  year), and some supervisors who are also a village's director at the same time;
- five plan years: one plan per organiser per tier and year (province: institution heads, city:
  supervisors, county: directors), with their windows and joiner/leaver cut-offs;
- about 3.5 million training records: the tier's required course (online), an elective course, and
  face-to-face training (course NULL, session NULL: the record an attendance roll writes, without the
  session itself), and lesson progress for some of those who started the required course but did not
  finish it (in progress without any record);
- for every year but the current one, plan assignments and coverage counts, written by set-based SQL that
  follows the plan rules (courses/plans.py is the application's implementation; the benchmark times it on
  the current year and compares its result with this SQL).

Written with PostgreSQL COPY. Resident ID numbers are real-shaped (valid check characters, unique) and
each is encrypted and digested with academy.organisation.resident_id, as the application stores them.
Deterministic for a seed, apart from the encryption's salt.
"""
import datetime
import itertools
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from academy.organisation import resident_id
from academy.organisation.models import (
    Institution,
    InstitutionKind,
    Person,
    Post,
    PostKind,
    Region,
    RunLevel,
)
from academy.organisation.regions import load_divisions
from academy.demo.synthetic import (
    GIVEN_NAME_FEMALE,
    GIVEN_NAME_FIRST,
    GIVEN_NAME_MALE,
    MOBILE_PREFIXES,
    SURNAME_WEIGHTS,
    SURNAMES,
    VILLAGE_NAME_FIRST,
    VILLAGE_NAME_SECOND,
)
from django.db import connection, transaction
from django.utils import timezone

# The 31 provincial divisions, Zhejiang (real divisions) first; the others get synthetic cities and below.
PROVINCES = [
    ("33", "浙江省"), ("11", "北京市"), ("12", "天津市"), ("13", "河北省"), ("14", "山西省"), ("15", "内蒙古自治区"),
    ("21", "辽宁省"), ("22", "吉林省"), ("23", "黑龙江省"), ("31", "上海市"), ("32", "江苏省"), ("34", "安徽省"),
    ("35", "福建省"), ("36", "江西省"), ("37", "山东省"), ("41", "河南省"), ("42", "湖北省"), ("43", "湖南省"),
    ("44", "广东省"), ("45", "广西壮族自治区"), ("46", "海南省"), ("50", "重庆市"), ("51", "四川省"),
    ("52", "贵州省"), ("53", "云南省"), ("54", "西藏自治区"), ("61", "陕西省"), ("62", "甘肃省"), ("63", "青海省"),
    ("64", "宁夏回族自治区"), ("65", "新疆维吾尔自治区"),
]
CITIES_PER_PROVINCE = 13
COUNTIES_PER_CITY = 8
TOWNSHIPS_PER_COUNTY = 14
VILLAGES_PER_TOWNSHIP = (8, 19)
SYNTHETIC_TOWNSHIPS_PER_PROVINCE = CITIES_PER_PROVINCE * COUNTIES_PER_CITY * TOWNSHIPS_PER_COUNTY
ZHEJIANG_TOWNSHIPS = 1364

# Share of seats changing hands in a year, per tier; the longest vacancy between two holders.
TURNOVER = {PostKind.CHILD_DIRECTOR: 0.045, PostKind.CHILD_SUPERVISOR: 0.07, PostKind.INSTITUTION_HEAD: 0.08}
LONGEST_VACANCY_DAYS = 60
# Share of new holders who are a leaver of another seat of the county (a move); of supervisors who are
# at the same time the director of a village of their township.
MOVER_SHARE = 0.10
SUPERVISOR_ALSO_DIRECTOR_SHARE = 0.03
FEMALE_SHARE = {PostKind.CHILD_DIRECTOR: 0.7, PostKind.CHILD_SUPERVISOR: 0.55, PostKind.INSTITUTION_HEAD: 0.45}

# The plan window and cut-offs (month, day) within the plan year.
OPENS_ON, DEADLINE, JOIN_CUTOFF, LEAVE_CUTOFF = (1, 1), (11, 30), (9, 30), (3, 31)
# Share of counties whose director plan asks for credit hours only (no course); the hours asked.
HOURS_ONLY_COUNTY_SHARE = 0.2
DIRECTOR_HOURS = 4
HEAD_HOURS = 8

# Chances for a person-year in post: the tier's required course done in the window (past years, the
# current year), an elective course, a face-to-face session (full attendance), a partly attended one, and a
# required course done late (in December, after the deadline).
REQUIRED_DONE = {
    PostKind.CHILD_DIRECTOR: (0.92, 0.82), PostKind.CHILD_SUPERVISOR: (0.9, 0.8),
    PostKind.INSTITUTION_HEAD: (0.95, 0.85),
}
ELECTIVE = 0.04
FACE_TO_FACE = {PostKind.CHILD_DIRECTOR: 0.03, PostKind.CHILD_SUPERVISOR: 0.88, PostKind.INSTITUTION_HEAD: 0.7}
PARTIAL_FACE_TO_FACE = 0.01
DONE_LATE = 0.03
# Chance that someone who has not done the required course has started its lesson (LessonProgress).
LESSON_STARTED = 0.3

COURSES = [
    # (key, title, slug, audience, credit hours)
    (PostKind.CHILD_DIRECTOR, "儿童主任年度培训", "national-director", [PostKind.CHILD_DIRECTOR], 4),
    (PostKind.CHILD_SUPERVISOR, "儿童督导员年度培训", "national-supervisor", [PostKind.CHILD_SUPERVISOR], 4),
    (PostKind.INSTITUTION_HEAD, "儿童福利机构负责人年度培训", "national-head", [PostKind.INSTITUTION_HEAD], 4),
    ("elective", "未成年人保护法解读", "national-minors-law", [], 4),
]
FACE_TO_FACE_TITLE = {
    PostKind.CHILD_DIRECTOR: "儿童主任集中培训班", PostKind.CHILD_SUPERVISOR: "儿童督导员集中培训班",
    PostKind.INSTITUTION_HEAD: "机构负责人专题培训班",
}
ORGANISER_CODE_LENGTH = {PostKind.INSTITUTION_HEAD: 2, PostKind.CHILD_SUPERVISOR: 4, PostKind.CHILD_DIRECTOR: 6}
TIER_WORD = {
    PostKind.INSTITUTION_HEAD: "儿童福利机构负责人", PostKind.CHILD_SUPERVISOR: "儿童督导员",
    PostKind.CHILD_DIRECTOR: "儿童主任",
}
EARLIEST_START = datetime.date(2008, 1, 1)


def synthetic_provinces_for(scale: float) -> int:
    """How many synthetic provinces make ``scale`` of the nation's 45,000 townships (1: all 30)."""
    wanted = scale * (ZHEJIANG_TOWNSHIPS + 30 * SYNTHETIC_TOWNSHIPS_PER_PROVINCE)
    return max(0, min(30, round((wanted - ZHEJIANG_TOWNSHIPS) / SYNTHETIC_TOWNSHIPS_PER_PROVINCE)))


@dataclass
class Nation:
    years: list[int]
    today: datetime.date
    counties: dict = field(default_factory=dict)  # county code -> {township code: [village codes]}
    cities: list[str] = field(default_factory=list)
    provinces: list[str] = field(default_factory=list)
    institutions: list[tuple[int, str]] = field(default_factory=list)  # (id, region code)
    regions: int = 0
    townships: int = 0
    villages: int = 0
    people: int = 0
    posts: int = 0
    records: int = 0
    plans: int = 0
    courses: dict = field(default_factory=dict)  # key -> CoursePage id
    lessons: dict = field(default_factory=dict)  # key -> the course's LessonPage id
    lesson_progress: int = 0


def log(message: str, started: float | None = None) -> None:
    suffix = f" ({time.perf_counter() - started:.1f} s)" if started is not None else ""
    print(f"  {message}{suffix}", flush=True)


def copy_rows(table: str, columns: list[str], rows) -> int:
    """COPY ``rows`` (tuples) into ``table``; returns how many."""
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


@contextmanager
def bulk_load(*models):
    """Load ``models``' tables fast: their indexes (the primary key apart) and unique constraints dropped,
    and foreign-key triggers off (session_replication_role), then everything rebuilt. The generator's
    rows are consistent by construction; plan_assign's agreement with the SQL checks the result."""
    saved = []
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                "AND contype = 'u'", [table],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
                "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('p', 'u'))",
                [table, table],
            )
            indexes = cursor.fetchall()
            for name, _definition in constraints:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            saved.append((table, constraints, indexes))
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute("SET maintenance_work_mem = '1GB'")
            for table, constraints, indexes in saved:
                for name, definition in constraints:
                    cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
                for _name, definition in indexes:
                    cursor.execute(definition)
                cursor.execute(f"ANALYZE {table}")
        log(f"indexes rebuilt, tables analysed: {', '.join(table for table, *_rest in saved)}", started)


def reset_sequence(model) -> None:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"
        )


# --- Regions -----------------------------------------------------------------------------------------------


def _place_name(rng: random.Random, suffix: str) -> str:
    return rng.choice(VILLAGE_NAME_FIRST) + rng.choice(VILLAGE_NAME_SECOND) + suffix


def generate_regions(nation: Nation, *, synthetic_provinces: int, seed: int) -> None:
    """Zhejiang's real divisions with synthetic villages, then the synthetic provinces, all through COPY."""
    started = time.perf_counter()
    load_divisions()
    rng = random.Random(f"{seed}:regions")
    rows = []
    real = Region.objects.order_by("code").values_list("code", "level")
    for code, level in real:
        if level == "province":
            nation.provinces.append(code)
        elif level == "city":
            nation.cities.append(code)
        elif level == "county":
            nation.counties[code] = {}
        elif level == "township":
            nation.counties.setdefault(code[:6], {})[code] = []
    # Zhejiang's real counties without townships (none expected) would hold no seats: drop them.
    nation.counties = {code: townships for code, townships in nation.counties.items() if townships}
    for province_code, province_name in PROVINCES[1:1 + synthetic_provinces]:
        nation.provinces.append(province_code)
        rows.append((province_code, province_name, "province", None, True))
        for city in range(1, CITIES_PER_PROVINCE + 1):
            city_code = f"{province_code}{city:02d}"
            nation.cities.append(city_code)
            rows.append((city_code, _place_name(rng, "市"), "city", province_code, True))
            for county in range(1, COUNTIES_PER_CITY + 1):
                county_code = f"{city_code}{county:02d}"
                rows.append((county_code, _place_name(rng, "县" if county > 2 else "区"), "county", city_code, True))
                nation.counties[county_code] = {}
                for township in range(1, TOWNSHIPS_PER_COUNTY + 1):
                    township_code = f"{county_code}{township:03d}"
                    suffix = "街道" if township <= 3 else ("镇" if township <= 11 else "乡")
                    rows.append((township_code, _place_name(rng, suffix), "township", county_code, True))
                    nation.counties[county_code][township_code] = []
    for townships in nation.counties.values():
        for township_code, villages in townships.items():
            for serial in range(1, rng.randint(*VILLAGES_PER_TOWNSHIP) + 1):
                village_code = f"{township_code}{serial:03d}"
                villages.append(village_code)
                rows.append((village_code, _place_name(rng, "村"), "village", township_code, True))
    # Parents come before children in ``rows``: the foreign key holds row by row.
    copy_rows(Region._meta.db_table, ["code", "name", "level", "parent_id", "is_synthetic"], rows)
    nation.regions = Region.objects.count()
    nation.townships = sum(len(townships) for townships in nation.counties.values())
    nation.villages = sum(len(villages) for townships in nation.counties.values() for villages in townships.values())
    log(f"regions: {nation.regions:,} ({len(nation.provinces)} provinces, {len(nation.cities)} cities, "
        f"{len(nation.counties):,} counties, {nation.townships:,} townships, {nation.villages:,} villages)", started)


def generate_institutions(nation: Nation) -> None:
    """A province-run welfare institution and minor-protection centre per province, a city-run welfare
    institution per city, each in a county of its city (the first county of the province's first city)."""
    counties_by_city = {}
    for county_code in sorted(nation.counties):
        counties_by_city.setdefault(county_code[:4], []).append(county_code)
    institutions = []
    for province_code in nation.provinces:
        capital = next(code for code in nation.cities if code.startswith(province_code) and code in counties_by_city)
        counties = counties_by_city[capital]
        institutions.append(Institution(
            code=f"NATIONAL-{province_code}-CW", name="省儿童福利院", kind=InstitutionKind.CHILDREN_WELFARE,
            run_level=RunLevel.PROVINCE, region_id=counties[0],
        ))
        institutions.append(Institution(
            code=f"NATIONAL-{province_code}-MP", name="省未成年人救助保护中心", kind=InstitutionKind.MINOR_PROTECTION,
            run_level=RunLevel.PROVINCE, region_id=counties[-1],
        ))
    for city_code in nation.cities:
        if city_code in counties_by_city:
            institutions.append(Institution(
                code=f"NATIONAL-{city_code}-CW", name="市儿童福利院", kind=InstitutionKind.CHILDREN_WELFARE,
                run_level=RunLevel.CITY, region_id=counties_by_city[city_code][0],
            ))
    created = Institution.objects.bulk_create(institutions)
    nation.institutions = [(institution.pk, institution.region_id) for institution in created]
    log(f"institutions: {len(created)}")


# --- People and posts ----------------------------------------------------------------------------------------


def _random_day(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _seat_terms(rng: random.Random, kind: str, nation: Nation) -> list[list]:
    """The terms of office of one seat since before the first plan year: [start, end or None]."""
    first_year = nation.years[0]
    start = _random_day(rng, EARLIEST_START, datetime.date(first_year - 1, 12, 31))
    terms = []
    for year in nation.years:
        if start is None or rng.random() >= TURNOVER[kind]:
            continue
        last_day = min(datetime.date(year, 12, 31), nation.today - datetime.timedelta(days=1))
        leaves = _random_day(rng, max(start, datetime.date(year, 1, 1)), last_day)
        if leaves < start:
            continue
        terms.append([start, leaves])
        start = leaves + datetime.timedelta(days=rng.randint(1, LONGEST_VACANCY_DAYS))
        if start > nation.today:
            start = None
    if start is not None:
        terms.append([start, None])
    return terms


class Roster:
    """People (id -> county code for the ID number, tier for the profile) and posts, as plain tuples."""

    def __init__(self):
        self.people: list[tuple[str, str]] = [None]  # ids start at 1
        self.posts: list[tuple] = []  # (person id, kind, region code, institution id, start, end)

    def new_person(self, county_code: str, kind: str) -> int:
        self.people.append((county_code, kind))
        return len(self.people) - 1

    def add_post(self, person_id, kind, region_code, institution_id, start, end) -> None:
        self.posts.append((person_id, kind, region_code, institution_id, start, end))


def _fill_seats(rng, roster: Roster, seats: list[tuple[str, int | None]], kind: str, county_code: str, nation):
    """Give every term of every seat (region code, institution id) a holder: a new person, or for
    MOVER_SHARE of later terms a leaver of another seat of the same county whose term ended up to three
    months before. Returns [(region code, person id, start, end)]."""
    terms = [(seat, term) for seat in seats for term in _seat_terms(rng, kind, nation)]
    leavers = sorted(
        ((term[1], seat, index) for index, (seat, term) in enumerate(terms) if term[1] is not None),
        key=lambda leaver: leaver[0],
    )
    holders = [None] * len(terms)
    moved = set()
    # Earliest first, so that a mover's earlier term already has its holder.
    for index in sorted(range(len(terms)), key=lambda index: terms[index][1][0]):
        seat, (start, _end) = terms[index]
        holder = None
        if start >= datetime.date(nation.years[0], 1, 1) and rng.random() < MOVER_SHARE:
            for left_on, other_seat, other in leavers:
                if other_seat != seat and other not in moved and holders[other] is not None and (
                    datetime.timedelta(days=1) <= start - left_on <= datetime.timedelta(days=90)
                ):
                    holder = holders[other]
                    moved.add(other)
                    break
        holders[index] = holder or roster.new_person(county_code, kind)
    result = []
    for (seat, (start, end)), person_id in zip(terms, holders):
        region_code, institution_id = seat
        roster.add_post(person_id, kind, region_code, institution_id, start, end)
        result.append((region_code, person_id, start, end))
    return result


def generate_roster(nation: Nation, *, seed: int) -> Roster:
    started = time.perf_counter()
    rng = random.Random(f"{seed}:people")
    roster = Roster()
    for county_code, townships in nation.counties.items():
        village_seats = [(village, None) for villages in townships.values() for village in villages]
        director_terms = _fill_seats(rng, roster, village_seats, PostKind.CHILD_DIRECTOR, county_code, nation)
        directors_by_township = {}
        for region_code, person_id, start, end in director_terms:
            directors_by_township.setdefault(region_code[:9], []).append((person_id, start, end))
        for township_code in townships:
            for term in _seat_terms(rng, PostKind.CHILD_SUPERVISOR, nation):
                start, end = term
                holder = None
                if rng.random() < SUPERVISOR_ALSO_DIRECTOR_SHARE:
                    # A director of the township in post that day takes the supervisor's post as well.
                    holder = next(
                        (person_id for person_id, d_start, d_end in directors_by_township.get(township_code, [])
                         if d_start <= start and (d_end is None or d_end >= start)), None,
                    )
                holder = holder or roster.new_person(county_code, PostKind.CHILD_SUPERVISOR)
                roster.add_post(holder, PostKind.CHILD_SUPERVISOR, township_code, None, start, end)
    for institution_id, region_code in nation.institutions:
        _fill_seats(rng, roster, [(region_code, institution_id)], PostKind.INSTITUTION_HEAD, region_code[:6], nation)
    log(f"roster drawn: {len(roster.people) - 1:,} people, {len(roster.posts):,} posts", started)
    return roster


def _id_number(rng: random.Random, county_code: str, female: bool, used: set) -> str:
    while True:
        born = _random_day(rng, datetime.date(1965, 1, 1), datetime.date(2000, 12, 31))
        serial = rng.randrange(0, 500) * 2 + (0 if female else 1)  # the 17th digit: odd for men
        first_seventeen = f"{county_code}{born:%Y%m%d}{serial:03d}"
        if first_seventeen not in used:
            used.add(first_seventeen)
            return first_seventeen + resident_id.check_character(first_seventeen)


def _person_rows(roster: Roster, nation: Nation, seed: int):
    rng = random.Random(f"{seed}:identities")
    used = set()
    now = timezone.now()
    prefixes = [prefix for prefix in MOBILE_PREFIXES if prefix != "138"]  # 1380000xxxx is the demo accounts'
    surname_weights = list(itertools.accumulate(SURNAME_WEIGHTS))
    for person_id in range(1, len(roster.people)):
        county_code, kind = roster.people[person_id]
        female = rng.random() < FEMALE_SHARE[kind]
        given = GIVEN_NAME_FEMALE if female else GIVEN_NAME_MALE
        name = rng.choices(SURNAMES, cum_weights=surname_weights)[0] + (
            rng.choice(GIVEN_NAME_FIRST) + rng.choice(given) if rng.random() < 0.75 else rng.choice(given)
        )
        number = _id_number(rng, county_code, female, used)
        mobile = f"{prefixes[person_id % len(prefixes)]}{person_id:08d}"
        yield (
            person_id, name, "female" if female else "male", resident_id.encrypt(number), resident_id.digest(number),
            resident_id.mask(number), mobile, "none", now, now,
        )


def load_roster(nation: Nation, roster: Roster, *, seed: int) -> None:
    started = time.perf_counter()
    nation.people = copy_rows(
        Person._meta.db_table,
        ["id", "name", "sex", "id_number_encrypted", "id_number_digest", "id_number_masked", "mobile",
         "professional_category", "created_at", "updated_at"],
        _person_rows(roster, nation, seed),
    )
    log(f"people: {nation.people:,} (every resident ID number encrypted and digested)", started)
    started = time.perf_counter()
    nation.posts = copy_rows(
        Post._meta.db_table,
        ["id", "person_id", "kind", "region_id", "institution_id", "start_date", "end_date"],
        ((index, *post) for index, post in enumerate(roster.posts, start=1)),
    )
    reset_sequence(Person)
    reset_sequence(Post)
    log(f"posts: {nation.posts:,}", started)


# --- Courses, plans and training records -------------------------------------------------------------------


def generate_courses(nation: Nation) -> None:
    """Four course pages in the Wagtail tree (records and plans point to them), each with one text lesson
    (lesson progress points to it; plan_assign reads the lessons of required courses)."""
    from academy.demo.pages import home_page_as_site_root

    from courses.models import CourseIndexPage, CoursePage, LessonPage

    home = home_page_as_site_root()
    catalogue = home.add_child(instance=CourseIndexPage(title="全国课程", slug="national-courses"))
    for key, title, slug, audience, hours in COURSES:
        course = catalogue.add_child(instance=CoursePage(
            title=title, slug=slug, summary=title, audience=[str(kind) for kind in audience], credit_hours=hours,
        ))
        nation.courses[key] = course.pk
        lesson = course.add_child(instance=LessonPage(
            title="第一课", slug="lesson-1", min_study_minutes=1, body=[("paragraph", f"<p>{title}</p>")],
        ))
        nation.lessons[key] = lesson.pk
    log(f"courses: {len(COURSES)} course pages with a lesson each")


def plan_window(year: int) -> dict:
    return {
        name: datetime.date(year, *month_day)
        for name, month_day in (
            ("opens_on", OPENS_ON), ("deadline", DEADLINE), ("join_cutoff", JOIN_CUTOFF), ("leave_cutoff", LEAVE_CUTOFF)
        )
    }


def generate_plans(nation: Nation, *, seed: int) -> None:
    """One plan per organiser, tier and year: heads by each province (required course and 8 hours),
    supervisors by each city (required course and a face-to-face session), directors by each county
    (required course; in a fifth of the counties 4 credit hours instead)."""
    from courses.models import TrainingPlan

    started = time.perf_counter()
    rng = random.Random(f"{seed}:plans")
    hours_only_counties = {code for code in sorted(nation.counties) if rng.random() < HOURS_ONLY_COUNTY_SHARE}
    organisers = {
        PostKind.INSTITUTION_HEAD: nation.provinces,
        PostKind.CHILD_SUPERVISOR: sorted({code[:4] for code in nation.counties}),
        PostKind.CHILD_DIRECTOR: sorted(nation.counties),
    }
    plans, required = [], []
    for year in nation.years:
        for kind, codes in organisers.items():
            for code in codes:
                plan = TrainingPlan(
                    year=year, post_kind=kind, organiser_region_id=code, title=f"{year}年{TIER_WORD[kind]}培训计划",
                    **plan_window(year),
                )
                if kind == PostKind.INSTITUTION_HEAD:
                    plan.min_credit_hours = HEAD_HOURS
                elif kind == PostKind.CHILD_SUPERVISOR:
                    plan.requires_face_to_face = True
                elif code in hours_only_counties:
                    plan.min_credit_hours = DIRECTOR_HOURS
                plans.append(plan)
                required.append(kind != PostKind.CHILD_DIRECTOR or code not in hours_only_counties)
    plans = TrainingPlan.objects.bulk_create(plans, batch_size=5000)
    Through = TrainingPlan.required_courses.through
    Through.objects.bulk_create(
        [Through(trainingplan_id=plan.pk, coursepage_id=nation.courses[plan.post_kind])
         for plan, has_course in zip(plans, required) if has_course],
        batch_size=5000,
    )
    nation.plans = len(plans)
    log(f"plans: {nation.plans:,} ({len(plans) // len(nation.years):,} a year; "
        f"{len(hours_only_counties)} counties ask hours only)", started)


def _record_rows(roster: Roster, nation: Nation, seed: int, lesson_progress: list):
    """Training records person by person, year by year, tier by tier, for the time in post. Lesson progress
    rows of people who started the required course without finishing it go to ``lesson_progress``."""
    rng = random.Random(f"{seed}:records")
    now = timezone.now()
    current_year = nation.years[-1]
    posts_by_person = {}
    for person_id, kind, _region, _institution, start, end in roster.posts:
        posts_by_person.setdefault(person_id, []).append((kind, start, end))
    record_id = 0
    titles = {key: title for key, title, *_rest in COURSES}
    for person_id in range(1, len(roster.people)):
        for year in nation.years:
            window = plan_window(year)
            last_day = min(window["deadline"], nation.today)
            done_courses, started_lessons = set(), set()
            for kind in FACE_TO_FACE_TITLE:
                held = [(start, end) for post_kind, start, end in posts_by_person.get(person_id, ())
                        if post_kind == kind and start <= last_day and (end is None or end >= window["opens_on"])]
                if not held:
                    continue
                first = max(window["opens_on"], min(start for start, _end in held))
                last = min(last_day, max(end or last_day for _start, end in held))
                if first > last:
                    continue
                draws = []
                if rng.random() < REQUIRED_DONE[kind][year == current_year]:
                    late = year < current_year and rng.random() < DONE_LATE
                    day = _random_day(rng, datetime.date(year, 12, 1), datetime.date(year, 12, 31)) if late else None
                    draws.append(("online", kind, day, 4, True))
                elif rng.random() < LESSON_STARTED and nation.lessons[kind] not in started_lessons:
                    started_lessons.add(nation.lessons[kind])
                    started = datetime.datetime.combine(_random_day(rng, first, last), datetime.time(9), datetime.UTC)
                    lesson_progress.append((
                        person_id, nation.lessons[kind], year, started, started, 3, rng.randint(10, 50), "{}",
                    ))
                if rng.random() < ELECTIVE:
                    draws.append(("online", "elective", None, 4, True))
                if rng.random() < FACE_TO_FACE[kind]:
                    draws.append(("face_to_face", kind, None, 8, True))
                elif rng.random() < PARTIAL_FACE_TO_FACE:
                    draws.append(("face_to_face", kind, None, 2, False))
                for source, key, day, hours, counts in draws:
                    course_id = nation.courses[key] if source == "online" else None
                    if course_id is not None:
                        if course_id in done_courses:
                            continue  # one completion of a course a year
                        done_courses.add(course_id)
                    record_id += 1
                    title = titles[key] if source == "online" else FACE_TO_FACE_TITLE[key]
                    completed_on = day or _random_day(rng, first, last)
                    score = rng.randint(60, 100) if source == "online" else None
                    yield (record_id, person_id, completed_on.year, source, course_id, title, completed_on,
                           hours, score, counts, now)


def load_records(nation: Nation, roster: Roster, *, seed: int) -> None:
    from courses.models import LessonProgress, TrainingRecord

    started = time.perf_counter()
    lesson_progress = []
    nation.records = copy_rows(
        TrainingRecord._meta.db_table,
        ["id", "person_id", "year", "source", "course_id", "title", "completed_on", "credit_hours", "score",
         "counts_as_completion", "created_at"],
        _record_rows(roster, nation, seed, lesson_progress),
    )
    nation.lesson_progress = copy_rows(
        LessonProgress._meta.db_table,
        ["person_id", "lesson_id", "year", "started_at", "last_heartbeat_at", "last_sequence", "study_seconds",
         "videos"],
        lesson_progress,
    )
    reset_sequence(TrainingRecord)
    log(f"training records: {nation.records:,}; lessons started, not completed: {nation.lesson_progress:,}", started)


# --- Assignments and coverage counts by SQL ---------------------------------------------------------------

# The plan rules of the issue-4 brief, set-based, for every plan of one year and tier. %(length)s is the
# organiser level's code length; the result has the columns of courses_planassignment.
ASSIGNMENT_SQL = """
WITH required AS (
    SELECT DISTINCT ON (plan.id, post.person_id)
        plan.id AS plan_id, post.person_id, post.region_id
    FROM courses_trainingplan plan
    JOIN organisation_post post
        ON post.kind = plan.post_kind AND left(post.region_id, {length}) = plan.organiser_region_id
    WHERE plan.year = %(year)s AND plan.post_kind = %(kind)s
        AND post.start_date <= plan.deadline AND (post.end_date IS NULL OR post.end_date >= plan.opens_on)
        AND post.start_date <= plan.join_cutoff AND (post.end_date IS NULL OR post.end_date >= plan.leave_cutoff)
    -- a person with several posts counts once, where they held the post latest
    ORDER BY plan.id, post.person_id, post.end_date DESC NULLS FIRST, post.start_date DESC, post.id DESC
),
in_window AS (
    SELECT required.plan_id, required.person_id, record.course_id, record.source, record.completed_on,
        record.counts_as_completion, record.credit_hours,
        sum(record.credit_hours) OVER (
            PARTITION BY required.plan_id, required.person_id ORDER BY record.completed_on, record.id
        ) AS hours_so_far
    FROM required
    JOIN courses_trainingplan plan ON plan.id = required.plan_id
    JOIN courses_trainingrecord record ON record.person_id = required.person_id
        AND record.completed_on BETWEEN plan.opens_on AND plan.deadline
),
by_course AS (
    SELECT required.plan_id, required.person_id, min(in_window.completed_on) AS done_on
    FROM required
    JOIN courses_trainingplan_required_courses wanted ON wanted.trainingplan_id = required.plan_id
    LEFT JOIN in_window ON in_window.plan_id = required.plan_id AND in_window.person_id = required.person_id
        AND in_window.course_id = wanted.coursepage_id AND in_window.counts_as_completion
    GROUP BY required.plan_id, required.person_id, wanted.coursepage_id
),
lesson_started AS (
    -- a lesson of a required course started in the plan's year
    SELECT DISTINCT required.plan_id, required.person_id
    FROM required
    JOIN courses_trainingplan plan ON plan.id = required.plan_id
    JOIN courses_trainingplan_required_courses wanted ON wanted.trainingplan_id = required.plan_id
    JOIN wagtailcore_page course ON course.id = wanted.coursepage_id
    JOIN wagtailcore_page lesson ON lesson.path LIKE course.path || '%%' AND lesson.depth = course.depth + 1
    JOIN courses_lessonpage ON courses_lessonpage.page_ptr_id = lesson.id
    JOIN courses_lessonprogress progress ON progress.person_id = required.person_id
        AND progress.lesson_id = lesson.id AND progress.year = plan.year
),
courses_done AS (
    SELECT plan_id, person_id, bool_and(done_on IS NOT NULL) AS all_done, max(done_on) AS done_on
    FROM by_course GROUP BY plan_id, person_id
),
totals AS (
    SELECT in_window.plan_id, in_window.person_id, sum(in_window.credit_hours) AS hours,
        min(in_window.completed_on) FILTER (WHERE in_window.hours_so_far >= plan.min_credit_hours) AS hours_on,
        min(in_window.completed_on) FILTER (
            WHERE in_window.source = 'face_to_face' AND in_window.counts_as_completion
        ) AS face_to_face_on
    FROM in_window JOIN courses_trainingplan plan ON plan.id = in_window.plan_id
    GROUP BY in_window.plan_id, in_window.person_id
),
judged AS (
    SELECT required.*, coalesce(totals.hours, 0) AS hours, totals.hours_on, totals.face_to_face_on,
        courses_done.done_on AS courses_on,
        totals.plan_id IS NOT NULL OR lesson_started.plan_id IS NOT NULL AS has_record,
        coalesce(courses_done.all_done, true)
            AND (plan.min_credit_hours IS NULL OR totals.hours_on IS NOT NULL)
            AND (NOT plan.requires_face_to_face OR totals.face_to_face_on IS NOT NULL) AS completed,
        plan.min_credit_hours IS NOT NULL AS wants_hours, plan.requires_face_to_face AS wants_face_to_face
    FROM required
    JOIN courses_trainingplan plan ON plan.id = required.plan_id
    LEFT JOIN totals ON totals.plan_id = required.plan_id AND totals.person_id = required.person_id
    LEFT JOIN courses_done ON courses_done.plan_id = required.plan_id AND courses_done.person_id = required.person_id
    LEFT JOIN lesson_started
        ON lesson_started.plan_id = required.plan_id AND lesson_started.person_id = required.person_id
)
SELECT plan_id, person_id, region_id,
    CASE WHEN completed THEN 'completed' WHEN has_record THEN 'in_progress' ELSE 'not_started' END AS status,
    hours AS credit_hours,
    CASE WHEN completed THEN greatest(
        courses_on, CASE WHEN wants_hours THEN hours_on END, CASE WHEN wants_face_to_face THEN face_to_face_on END
    ) END AS completed_on
FROM judged
"""

COVERAGE_SQL = """
INSERT INTO courses_coveragecount (plan_id, region_id, not_started, in_progress, completed)
SELECT assignment.plan_id, left(assignment.region_id, level.length),
    count(*) FILTER (WHERE assignment.status = 'not_started'),
    count(*) FILTER (WHERE assignment.status = 'in_progress'),
    count(*) FILTER (WHERE assignment.status = 'completed')
FROM courses_planassignment assignment
JOIN courses_trainingplan plan ON plan.id = assignment.plan_id
CROSS JOIN (VALUES (2), (4), (6), (9), (12)) AS level (length)
WHERE plan.year = %(year)s AND length(assignment.region_id) >= level.length
GROUP BY assignment.plan_id, left(assignment.region_id, level.length)
"""


def assignment_select(*, year: int, kind: str) -> str:
    return ASSIGNMENT_SQL.format(length=ORGANISER_CODE_LENGTH[kind])


# The rows of assignment_select with what courses.plans.assignment_copies adds (the plan's year, the person's
# name), in the column order of ASSIGNMENT_COLUMNS.
ASSIGNMENT_WITH_COPIES_SQL = """
SELECT judged.*, plan.year, person.name, now() FROM ({judged}) AS judged
JOIN courses_trainingplan plan ON plan.id = judged.plan_id
JOIN organisation_person person ON person.id = judged.person_id
"""
ASSIGNMENT_COLUMNS = "plan_id, person_id, region_id, status, credit_hours, completed_on, year, person_name, updated_at"


def assign_by_sql(nation: Nation, years: list[int]) -> None:
    """Plan assignments and coverage counts of ``years``, as the assignment job and coverage.rebuild()
    would leave them."""
    for year in years:
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            # The default 4 MB spills the sorts and aggregates of 650,000 people to disk (50 s a year).
            cursor.execute("SET LOCAL work_mem = '256MB'")
            for kind in ORGANISER_CODE_LENGTH:
                cursor.execute(
                    f"INSERT INTO courses_planassignment ({ASSIGNMENT_COLUMNS}) "
                    + ASSIGNMENT_WITH_COPIES_SQL.format(judged=assignment_select(year=year, kind=kind)),
                    {"year": year, "kind": kind},
                )
            cursor.execute(COVERAGE_SQL, {"year": year})
            cursor.execute("UPDATE courses_trainingplan SET assigned_at = now() WHERE year = %s", [year])
            cursor.execute(
                "SELECT status, count(*) FROM courses_planassignment JOIN courses_trainingplan plan "
                "ON plan.id = plan_id WHERE plan.year = %s GROUP BY status ORDER BY status", [year],
            )
            by_status = dict(cursor.fetchall())
        total = sum(by_status.values())
        log(f"{year}: {total:,} assignments by SQL, {by_status.get('completed', 0) / max(total, 1):.1%} completed, "
            f"{by_status.get('in_progress', 0):,} in progress, {by_status.get('not_started', 0):,} not started; "
            "coverage counts", started)


def nation_of_database() -> Nation:
    """What the measurements need to know of a data set loaded by an earlier run (kept with --keep)."""
    from courses.models import TrainingPlan, TrainingRecord

    years = sorted(set(TrainingPlan.objects.values_list("year", flat=True)))
    nation = Nation(years=years, today=timezone.localdate())
    by_level = {}
    for code, level in Region.objects.exclude(level="village").values_list("code", "level"):
        by_level.setdefault(level, []).append(code)
    nation.provinces = sorted(by_level.get("province", []), key=lambda code: code != "33")
    nation.cities = sorted(by_level.get("city", []))
    nation.counties = {code: {} for code in sorted(by_level.get("county", []))}
    nation.townships = len(by_level.get("township", []))
    nation.villages = Region.objects.filter(level="village").count()
    nation.regions = nation.townships + nation.villages + len(nation.counties) + len(nation.cities) + len(nation.provinces)
    nation.people, nation.posts = Person.objects.count(), Post.objects.count()
    nation.records, nation.plans = TrainingRecord.objects.count(), TrainingPlan.objects.count()
    return nation


def generate(*, scale: float = 1.0, seed: int = 4, today: datetime.date | None = None) -> Nation:
    """Everything above, into the (empty, migrated) database of the current connection."""
    today = today or timezone.localdate()
    nation = Nation(years=list(range(today.year - 4, today.year + 1)), today=today)
    from courses.models import CoverageCount
    from courses.models import LessonProgress, PlanAssignment, TrainingRecord

    with bulk_load(Region, Person, Post, TrainingRecord, LessonProgress):
        generate_regions(nation, synthetic_provinces=synthetic_provinces_for(scale), seed=seed)
        generate_institutions(nation)
        roster = generate_roster(nation, seed=seed)
        load_roster(nation, roster, seed=seed)
        generate_courses(nation)
        generate_plans(nation, seed=seed)
        load_records(nation, roster, seed=seed)
        del roster
    with bulk_load(PlanAssignment, CoverageCount):
        assign_by_sql(nation, nation.years[:-1])
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    log("VACUUM ANALYZE", started)
    return nation
