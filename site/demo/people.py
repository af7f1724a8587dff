"""The people of the demo (manage.py load_demo): the roster of the demo cities (villages, institutions, people
with their posts and trainee accounts, from synthetic.py), a demo account for every role, printed at the end,
and the deletion of all of it for --reset.
"""
import unicodedata

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db.models import Count, Q
from django.utils import timezone
from wagtail.models import GroupPagePermission, Page

from academy.accounts.models import User
from academy.accounts.services import account_for_person, account_phone_set
from academy.demo import synthetic
from academy.demo.certification import delete_demo_certification
from academy.organisation.models import (
    Institution, InstitutionKind, Person, Post, PostKind, ProfessionalCategory, Region, RegionLevel,
)

DEMO_PASSWORD = "demo12345"
# System administrators and content editors must sign in with a code from an authenticator app too
# (academy/accounts/second_factor.py). The demo ones have the app set up already with this key, published
# like the password, so that a demonstration starts in the CMS rather than at setting up an app.
DEMO_TOTP_KEY = "DEMOKEYFORTHEACADEMYDEMOACCOUNTS"
DEFAULT_CITIES = ["3301", "3311"]  # 杭州市 and 丽水市: a large city and a mountainous one
DEMO_COUNTY = "330106"  # 西湖区, where the demo director, supervisor and county administrator work
EDITORS_GROUP = "Editors"  # Wagtail's default group of page editors
SMALL_SIZES = {"villages_per_township": (1, 2), "carers_per_institution": (3, 6)}
DEMO_ADMIN_USERNAMES = [
    "demo-county-admin", "demo-city-admin", "demo-province-admin", "demo-editor", "demo-system-admin",
]


def roster_load(*, city_codes: list[str], seed: int, sizes: dict, stdout, style) -> None:
    """Synthesise the cities (those already loaded are skipped) and the province's own institution."""
    total = synthetic.SyntheticCounts()
    for city in Region.objects.filter(code__in=city_codes).order_by("code"):
        counts = synthetic.synthesise_city(city_code=city.code, seed=seed, **sizes)
        if counts.people == 0:
            stdout.write(f"{city.name} ({city.code}): already loaded")
            continue
        total.add(counts)
        stdout.write(
            f"{city.name} ({city.code}): {counts.villages} villages, {counts.institutions} institutions, "
            f"{counts.people} people, {counts.posts} posts, {counts.accounts} trainee accounts"
        )
    counts = synthetic.synthesise_province_institution(
        seed=seed, carers_per_institution=sizes.get("carers_per_institution", (50, 80))
    )
    if counts.people:
        total.add(counts)
        stdout.write(f"{synthetic.PROVINCE_INSTITUTION_NAME}: {counts.people} people, {counts.posts} posts")
    if total.villages:
        stdout.write(style.WARNING(
            f"The {total.villages} villages and communities are SYNTHETIC (is_synthetic=True): the official "
            "division list stops at townships, so village names and 12-digit codes are made up."
        ))


def accounts_print(*, rows: list[tuple[str, str, str, str]], stdout, style) -> None:
    """The demo accounts as a table, with how everyone else signs in."""
    stdout.write("")
    stdout.write(style.SUCCESS(f"Demo accounts: every password is {DEMO_PASSWORD}"))
    stdout.write("Sign in at http://127.0.0.1:8000/accounts/login/ with the mobile number or the email.")
    for role, mobile, email, who in [("role", "mobile", "email", "who"), *rows]:
        stdout.write(f"  {_padded(role, 34)}{mobile:<13}{email:<28}{who}")
    stdout.write(
        "The content editor and the system administrator are also asked for a code from an authenticator "
        f"app: add the key {DEMO_TOTP_KEY} to one (or run: oathtool --totp -b {DEMO_TOTP_KEY})."
    )
    stdout.write(
        "Everyone else on the roster has a trainee account to claim: sign in with a one-time code sent to "
        "their mobile number (the code is printed on the console)."
    )


def _padded(text: str, width: int) -> str:
    """Left-justified in a terminal, where Chinese characters take two columns."""
    columns = sum(2 if unicodedata.east_asian_width(character) in "WF" else 1 for character in text)
    return text + " " * max(1, width - columns)


def delete_demo_data() -> None:
    """The roster and everything the demo made. Institutions other than the demo ones are kept."""
    delete_demo_certification()
    User.objects.filter(Q(person__isnull=False) | Q(username__in=DEMO_ADMIN_USERNAMES)).delete()
    Post.objects.all().delete()
    Person.objects.all().delete()
    Institution.objects.filter(code__startswith=synthetic.SYNTHETIC_INSTITUTION_PREFIX).delete()
    Region.objects.filter(is_synthetic=True).delete()


def demo_accounts_create(*, city_codes: list[str]) -> list[tuple[str, str, str, str]]:
    """A demonstration account for every role. Returns (role, mobile, email, who) rows to print."""
    county = _demo_county(city_codes)
    city = county.parent
    # Hashed once: the demo accounts share one published password anyway.
    password = make_password(DEMO_PASSWORD)
    current = Post.objects.current(timezone.localdate()).select_related("person", "region", "institution")
    city_institution = synthetic.institution_code(city.code, InstitutionKind.CHILDREN_WELFARE)
    province_institution = synthetic.institution_code("33", InstitutionKind.CHILDREN_WELFARE)

    director = _roster_account(
        "13800000001", current.filter(kind=PostKind.CHILD_DIRECTOR, region__code__startswith=county.code), password
    )
    rows = [("child director 儿童主任", "13800000001", "", _who(director))]
    supervisor = _roster_account(
        "13800000002", current.filter(kind=PostKind.CHILD_SUPERVISOR, region=director.region.parent_id), password
    )
    rows.append(("child supervisor 儿童督导员", "13800000002", "", _who(supervisor)))
    head = _roster_account(
        "13800000003", current.filter(kind=PostKind.INSTITUTION_HEAD, institution__code=city_institution), password
    )
    rows.append(("institution head 机构负责人", "13800000003", "", _who(head)))
    carer = _roster_account(
        "13800000004", current.filter(kind=PostKind.CARER, institution__code=city_institution), password
    )
    rows.append(("carer 孤残儿童护理员", "13800000004", "", _who(carer)))
    # From another institution than the demo carer's: an assessor never scores their own institution.
    assessor_posts = current.filter(
        kind=PostKind.INSTITUTION_STAFF, institution__code=province_institution
    ).exclude(person__professional_category=ProfessionalCategory.NONE)
    assessor = _roster_account("13800000005", assessor_posts, password, is_assessor=True)
    rows.append(("assessor 考评员", "13800000005", "", _who(assessor)))
    chief = _roster_account(
        "13800000011",
        current.filter(kind=PostKind.INSTITUTION_STAFF, institution__code=province_institution).exclude(
            person=assessor.person
        ),
        password, is_assessor=True,
    )
    rows.append(("chief assessor 主考", "13800000011", "", _who(chief)))

    # Administrators are not on the roster; they sign in with the mobile number or email given here.
    province = city.parent
    for role, username, mobile, email, region in [
        ("county administrator 县级管理员", "demo-county-admin", "13800000006", "county-admin@example.org", county),
        ("city administrator 市级管理员", "demo-city-admin", "13800000007", "city-admin@example.org", city),
        (
            "province administrator 省级管理员", "demo-province-admin", "13800000008", "province-admin@example.org",
            province,
        ),
    ]:
        _admin_account(username, mobile, email, password, admin_region=region)
        rows.append((role, mobile, email, f"{region.name} ({region.code})"))
    editor = _admin_account("demo-editor", "13800000009", "editor@example.org", password)
    editor.groups.add(_editors_group())
    _demo_second_factor(editor)
    rows.append(("content editor 内容编辑", "13800000009", "editor@example.org", "Wagtail Editors, /cms/"))
    system_admin = _admin_account(
        "demo-system-admin", "13800000010", "admin@example.org", password, is_superuser=True, is_staff=True
    )
    _demo_second_factor(system_admin)
    rows.append(("system administrator 系统管理员", "13800000010", "admin@example.org", "superuser, /cms/"))
    return rows


def _demo_county(city_codes: list[str]) -> Region:
    if DEMO_COUNTY[:4] in city_codes:
        return Region.objects.select_related("parent__parent").get(code=DEMO_COUNTY)
    counties = Region.objects.select_related("parent__parent").filter(level=RegionLevel.COUNTY)
    return counties.filter(parent_id=sorted(city_codes)[0]).order_by("code").first()


def _roster_account(mobile: str, posts, password: str, is_assessor: bool = False) -> Post:
    """Give the holder of one of ``posts`` a memorable mobile number and the demo password; returns the
    post. The holder is whoever has the number from an earlier run, else the first by place who holds no
    other post (their page stays simple) and has not trained yet (the demo shows training to do)."""
    untrained = posts.exclude(person__training_records__isnull=False)
    post = (
        posts.filter(person__mobile=mobile).first()
        or untrained.annotate(held=Count("person__posts")).filter(held=1).order_by("region_id", "pk").first()
        or untrained.order_by("region_id", "pk").first()
        or posts.order_by("region_id", "pk").first()
    )
    person = post.person
    # An earlier run with other cities may have given the number to someone else: it moves here. The
    # demo sets numbers directly; an administrator's change would wait for the holder's confirmation.
    for previous in Person.objects.filter(mobile=mobile).exclude(pk=person.pk):
        account_phone_set(user=account_for_person(person=previous), phone="")
    user = account_phone_set(user=account_for_person(person=person), phone=mobile)
    user.password = password
    user.is_assessor = is_assessor
    user.save(update_fields=["password", "is_assessor"])
    return post


def _who(post: Post) -> str:
    """周梅晶 · 西湖区 北山街道 凤岗社区 / 杨晓亮 · 杭州市儿童福利院"""
    if post.institution_id:
        return f"{post.person.name} · {post.institution.name}"
    county_and_below = Region.objects.filter(code__in=post.region.ancestor_codes()[2:]).order_by("code")
    return " ".join([f"{post.person.name} ·", *[r.name for r in county_and_below], post.region.name])


def _admin_account(username: str, mobile: str, email: str, password: str, **fields) -> User:
    user, _created = User.objects.update_or_create(
        username=username,
        defaults={"phone": mobile, "email": email, "password": password, "is_active": True, **fields},
    )
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def _demo_second_factor(user: User) -> None:
    """The published authenticator key, again on every run (someone may have set up their own app), with
    recovery codes."""
    Authenticator.objects.filter(user=user).delete()
    TOTP.activate(user, DEMO_TOTP_KEY)
    RecoveryCodes.activate(user)


def _editors_group() -> Group:
    """Wagtail's migrations create the Editors group (recreated here if it was removed). Demo editors also
    publish and schedule publishing themselves, and manage the question banks and videos."""
    group, _created = Group.objects.get_or_create(name=EDITORS_GROUP)
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    for model in ("question", "questioncategory", "video"):
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="courses", content_type__model=model)
        )
    root = Page.get_first_root_node()
    for codename in ("add_page", "change_page", "publish_page"):
        GroupPagePermission.objects.get_or_create(
            group=group, page=root,
            permission=Permission.objects.get(content_type__app_label="wagtailcore", codename=codename),
        )
    return group
