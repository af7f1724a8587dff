"""Benchmark: the province administrator's people list with the whole province loaded (issue 2, §8).

Run from the repository root:  .venv/bin/python bench/people_list.py [--people 25000] [--runs 20] [--keep]

It creates a PostgreSQL database of its own (bench_people on 127.0.0.1:5432, user postgres), migrates it,
loads the Zhejiang divisions, synthesises villages under the real townships (marked synthetic), generates
about 25,000 people with their posts and accounts, then times the people list through Django's test
client signed in as the province administrator: the median server time of --runs requests and the SQL
queries of one. It prints a table and drops the database (unless --keep). Targets: < 100 ms, < 10 queries.
"""
import argparse
import datetime
import os
import random
import statistics
import sys
import time

import harness

DATABASE = "bench_people"
TIME_TARGET_MS = 100
QUERY_TARGET = 10

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
    "崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华建国红梅玉志海燕晓东丹雪春文斌佳怡子涵浩然欣梓轩"


def id_number(county_code: str, index: int) -> str:
    """A valid, unique resident ID number: the index is spread over the birth date and serial."""
    from academy.organisation import resident_id

    born = datetime.date(1960, 1, 1) + datetime.timedelta(days=index // 1000)
    first_seventeen = f"{county_code}{born:%Y%m%d}{index % 1000:03d}"
    return first_seventeen + resident_id.check_character(first_seventeen)


def generate(people_wanted: int) -> dict:
    """The province: synthetic villages, institutions, people, posts and accounts, all bulk-created."""
    from django.contrib.auth.hashers import make_password

    from academy.accounts.models import User
    from academy.organisation.models import (
        Institution, InstitutionKind, Person, Post, PostKind, Region, RegionLevel, RunLevel, Sex,
    )

    rng = random.Random(2)
    townships = list(Region.objects.filter(level=RegionLevel.TOWNSHIP).order_by("code"))
    counties = list(Region.objects.filter(level=RegionLevel.COUNTY).order_by("code"))
    cities = list(Region.objects.filter(level=RegionLevel.CITY).order_by("code"))

    institutions = [Institution(code="INST-33", name="浙江省儿童福利院", kind=InstitutionKind.CHILDREN_WELFARE,
                                run_level=RunLevel.PROVINCE, region_id=counties[0].code)]
    institutions += [Institution(code=f"INST-{city.code}", name=f"{city.name}儿童福利院",
                                 kind=InstitutionKind.CHILDREN_WELFARE, run_level=RunLevel.CITY, region=city)
                     for city in cities]
    institutions += [Institution(code=f"INST-{county.code}", name=f"{county.name}未成年人救助保护中心",
                                 kind=InstitutionKind.MINOR_PROTECTION, run_level=RunLevel.COUNTY, region=county)
                     for county in counties]
    institutions = Institution.objects.bulk_create(institutions)

    # Who holds what: heads and carers in institutions, a supervisor per township, then directors in
    # villages (and some former directors) up to the number of people wanted.
    places = [(PostKind.INSTITUTION_HEAD, None, institution, None) for institution in institutions]
    carers = max(0, min(3000, people_wanted // 8))
    places += [(PostKind.CARER, None, rng.choice(institutions), None) for _ in range(carers)]
    places += [(PostKind.CHILD_SUPERVISOR, township, None, None) for township in townships]
    remaining = max(0, people_wanted - len(places))
    former = remaining // 25
    directors = remaining - former
    villages_per_township = max(1, -(-directors // len(townships)))
    villages = []
    for township in townships:
        for number in range(1, villages_per_township + 1):
            villages.append(Region(code=f"{township.code}{number:03d}", name=f"{township.name[:2]}{number}村",
                                   level=RegionLevel.VILLAGE, parent=township, is_synthetic=True))
    Region.objects.bulk_create(villages, batch_size=5000)
    places += [(PostKind.CHILD_DIRECTOR, village, None, None) for village in villages[:directors]]
    ended = datetime.date(2024, 12, 31)
    places += [(PostKind.CHILD_DIRECTOR, rng.choice(villages), None, ended) for _ in range(former)]

    people = []
    for index, (kind, region, institution, _end) in enumerate(places):
        county_code = (region.code if region else institution.region_id)[:6].ljust(6, "0")
        person = Person(
            name=rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
            sex=rng.choice(Sex.values), mobile=f"13{index:09d}",
        )
        person.set_id_number(id_number(county_code, index))
        people.append(person)
    people = Person.objects.bulk_create(people, batch_size=5000)

    posts = [
        Post(person=person, kind=kind, region=region or institution.region, institution=institution,
             start_date=datetime.date(2020, 1, 1) + datetime.timedelta(days=rng.randrange(1500)), end_date=end)
        for person, (kind, region, institution, end) in zip(people, places)
    ]
    for post in posts:
        if post.end_date and post.start_date > post.end_date:
            post.start_date = datetime.date(2021, 1, 1)
    Post.objects.bulk_create(posts, batch_size=5000)

    # About a third have an account, half of those claimed.
    claimed_password = make_password("bench-password")
    accounts = [
        User(username=f"person-{person.pk}", phone=person.mobile, person=person,
             password=claimed_password if index % 2 else "!unclaimed")
        for index, person in enumerate(people) if index % 3 == 0
    ]
    User.objects.bulk_create(accounts, batch_size=5000)
    return {"people": len(people), "posts": len(posts), "villages": len(villages), "accounts": len(accounts),
            "sample": people[len(people) // 2]}


def measure(client, method: str, url: str, data: dict, runs: int) -> tuple[float, float, int, int]:
    """(median and fastest milliseconds, SQL queries, status) of ``runs`` requests after two warm-ups."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    send = getattr(client, method)
    for _ in range(2):
        send(url, data)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = send(url, data)
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = send(url, data)
    return statistics.median(timings), min(timings), len(queries.captured_queries), response.status_code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=25000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--name-index", action="store_true",
        help="add an index on person (name, id) first, to see what that model index would change",
    )
    options = parser.parse_args()

    harness.database_create(DATABASE)
    try:
        harness.django_set_up(harness.environment(harness.database_url(DATABASE)))
        from django.db import connection
        from django.test import Client
        from django.urls import reverse

        from academy.accounts.models import User
        from academy.organisation.models import PostKind, Region

        started = time.perf_counter()
        harness.migrate()
        made = generate(options.people)
        with connection.cursor() as cursor:
            if options.name_index:
                cursor.execute("CREATE INDEX bench_person_name ON organisation_person (name, id)")
            cursor.execute("ANALYZE")
        print(f"Loaded {made['people']} people, {made['posts']} posts, {made['villages']} synthetic villages, "
              f"{made['accounts']} accounts in {time.perf_counter() - started:.0f} s.")

        admin = User.objects.create(username="bench-province-admin", admin_region=Region.objects.get(code="33"))
        client = Client()
        client.force_login(admin)
        people_url = reverse("organisation:person_list")
        sample = made["sample"]
        later_page = max(1, made["people"] // 50 * 4 // 5)
        cases = [
            ("people list, page 1", "get", people_url, {}),
            (f"people list, page {later_page}", "get", people_url, {"page": later_page}),
            ("name search 王", "get", people_url, {"q": "王"}),
            (f"name search {sample.name}", "get", people_url, {"q": sample.name}),
            ("filtered: directors in 西湖区, 张, all posts", "get", people_url,
             {"q": "张", "kind": PostKind.CHILD_DIRECTOR, "region": "330106", "held": "all"}),
            ("filtered: supervisors in 宁波市, Z-A, page 2", "get", people_url,
             {"kind": PostKind.CHILD_SUPERVISOR, "region": "3302", "sort": "-name", "page": 2}),
            ("resident ID search (POST)", "post", people_url, {"q": sample.id_number}),
            ("mobile search", "get", people_url, {"q": sample.mobile}),
        ]
        rows = [(label, *measure(client, method, url, data, options.runs)) for label, method, url, data in cases]

        width = max(len(label) for label, *_ in rows)
        print(f"\nPeople list as the province administrator, median of {options.runs} runs (PostgreSQL):\n")
        print(f"{'request'.ljust(width)}  {'median ms':>9}  {'best ms':>7}  {'queries':>7}  status  target")
        for label, milliseconds, fastest, queries, status in rows:
            verdict = "ok" if milliseconds < TIME_TARGET_MS and queries < QUERY_TARGET and status == 200 else "MISSED"
            print(f"{label.ljust(width)}  {milliseconds:9.1f}  {fastest:7.1f}  {queries:7d}  {status:6d}  {verdict}")
        load = os.getloadavg()[0]
        print(f"\n(load average {load:.1f} on {os.cpu_count()} CPUs while measuring: other work inflates the times)")

        started = time.perf_counter()
        response = client.get(reverse("organisation:person_export", args=["csv"]))
        size = sum(len(chunk) for chunk in response.streaming_content)
        print(f"\nCSV export of everyone: {(time.perf_counter() - started):.1f} s, {size / 1e6:.1f} MB")
        started = time.perf_counter()
        response = client.get(reverse("organisation:person_export", args=["xlsx"]))
        seconds = time.perf_counter() - started
        print(f"Excel export of everyone: {seconds:.1f} s, {len(response.content) / 1e6:.1f} MB")
        return 0 if all(ms < TIME_TARGET_MS and q < QUERY_TARGET and s == 200 for _l, ms, _b, q, s in rows) else 1
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if not options.keep:
            harness.database_drop(DATABASE)


if __name__ == "__main__":
    sys.exit(main())
