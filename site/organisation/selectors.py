"""Reads for the management pages: people, institutions and regions as a given scope sees them.

Every query takes the viewer's Scope and filters through it, so a page cannot forget to. The list
pages load a page of rows in a fixed number of queries, whatever the size of the roster.
"""
import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import (
    BooleanField, Count, Exists, ExpressionWrapper, F, OuterRef, Prefetch, Q, QuerySet, Subquery,
)
from django.db.models.functions import Substr

from academy.accounts.models import CLAIMED

from . import resident_id
from .models import CODE_LENGTHS, Institution, Person, Post, PostKind, Region, RegionLevel
from .scope import Scope

# A post's place is shown as 杭州市 西湖区 西溪街道 XX村: a village post needs its region and three
# ancestors, loaded with the post so that no row costs a query.
POST_PLACE_RELATED = ("region__parent__parent__parent", "institution")

# The levels an administrator filters by; townships and villages are too many for one select.
FILTER_LEVELS = (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY)

REGION_POST_KINDS = (PostKind.CHILD_SUPERVISOR, PostKind.CHILD_DIRECTOR)


def region_path_label(region: Region) -> str:
    """The names from the city down, such as 杭州市 西湖区 西溪街道. Stops at the city, so only the
    ancestors that POST_PLACE_RELATED (or a select_related of the same depth) loaded are touched."""
    names = []
    current = region
    while current is not None and current.level != RegionLevel.PROVINCE:
        names.append(current.name)
        if current.level == RegionLevel.CITY:
            break
        current = current.parent
    return " ".join(reversed(names)) or region.name


def region_path_labeller(*, under: str):
    """region_path_label for many rows read as values (code, name) rather than objects, as the exports read
    them: a function (code, name) -> label. Reads once the names of the regions above village level under
    ``under`` ("" for all) and of its ancestors; a code's prefixes are its ancestors' codes."""
    city = CODE_LENGTHS[RegionLevel.CITY]
    above = [under[:length] for length in CODE_LENGTHS.values() if length < len(under)]
    names = dict(
        Region.objects.filter(Q(code__startswith=under) | Q(code__in=above))
        .exclude(level=RegionLevel.VILLAGE).values_list("code", "name")
    )

    def label(code: str, name: str) -> str:
        chain = [code[:length] for length in CODE_LENGTHS.values() if city <= length < len(code)]
        return " ".join([*(names.get(ancestor, ancestor) for ancestor in chain), name]) if len(code) >= city else name

    return label


def post_place_label(post: Post) -> str:
    """Where a post is held: the institution's name, or the region's path."""
    if post.institution_id:
        return post.institution.name
    return region_path_label(post.region)


def region_choices(*, scope: Scope) -> list[tuple[str, str]]:
    """(code, label) for the regions in scope down to county level, in code order (a tree read top down)."""
    regions = scope.regions(Region.objects.filter(level__in=FILTER_LEVELS)).select_related("parent")
    return [(region.code, region_path_label(region)) for region in regions.order_by("code")]


def region_drill_choices(*, scope: Scope, code: str = "") -> list[tuple[str, str]]:
    """(code, label) for a region filter that drills down: the regions in scope on the way down to ``code``
    (itself included) and those one level below it, or one level below the top of the scope when nothing is
    chosen. Tens of options at any level, where region_choices lists a nation's thousands of counties."""
    if scope.is_empty:
        return []
    chosen = code if code and scope.contains_region_code(code) else ""
    way_down = Q(code__in=[chosen[:length] for length in CODE_LENGTHS.values() if length <= len(chosen)])
    if chosen or scope.region_code:
        below = Q(parent_id=chosen or scope.region_code)
    else:
        below = Q(parent__isnull=True)
    regions = scope.regions(Region.objects.filter(way_down | below)).select_related("parent__parent__parent")
    return [(region.code, region_path_label(region)) for region in regions.order_by("code")]


def with_account_status(people: QuerySet) -> QuerySet:
    """Adds ``account_claimed`` to each person: None without an account, False while the account waits
    to be claimed, True once the person has used it (accounts.models.CLAIMED). A subquery per row rather
    than a join, so a page of 50 reads 50 accounts by index however many accounts there are."""
    claimed = ExpressionWrapper(CLAIMED, output_field=BooleanField())
    accounts = get_user_model().objects.filter(person=OuterRef("pk")).values(claimed=claimed)[:1]
    return people.annotate(account_claimed=Subquery(accounts, output_field=BooleanField()))


def people_search(
    *,
    scope: Scope,
    on: datetime.date,
    name: str = "",
    mobile: str = "",
    id_number: str = "",
    post_kind: str = "",
    region_code: str = "",
    current_only: bool = True,
    descending: bool = False,
) -> QuerySet:
    """People in scope holding a post that matches every filter, in name order: who, not what is shown
    of them (see people_with_posts).

    ``current_only`` keeps people holding a matching post on ``on``; otherwise ended posts count too.
    """
    matching_posts = scope.posts(Post.objects.filter(person=OuterRef("pk")))
    if post_kind:
        matching_posts = matching_posts.filter(kind=post_kind)
    if region_code:
        matching_posts = matching_posts.filter(region__code__startswith=region_code)
    if current_only:
        matching_posts = matching_posts.current(on)
    people = Person.objects.filter(Exists(matching_posts))

    if id_number:
        people = people.filter(id_number_digest__in=resident_id.lookup_digests(id_number))
    if mobile:
        people = people.filter(mobile=mobile)
    if name:
        people = people.filter(name__icontains=name)
    return people.order_by(*_name_order(descending))


def people_with_posts(
    people: QuerySet, *, scope: Scope, on: datetime.date, current_only: bool = True, descending: bool = False
) -> QuerySet:
    """The people of ``people`` (a page of people_search, or all of it) in the same order, with their
    posts in scope in ``listed_posts`` (only those held on ``on`` if ``current_only``) and
    ``account_claimed``.

    The page's ids are picked by a subquery first: sorting whole rows of the province spills to disk,
    and the account lookup would run for every row an offset skips.
    """
    listed_posts = scope.posts(Post.objects.all())
    if current_only:
        listed_posts = listed_posts.current(on)
    listed_posts = listed_posts.select_related(*POST_PLACE_RELATED).order_by("-start_date", "pk")
    return (
        with_account_status(Person.objects.filter(pk__in=people.values("pk")))
        .prefetch_related(Prefetch("posts", queryset=listed_posts, to_attr="listed_posts"))
        .order_by(*_name_order(descending))
    )


def _name_order(descending: bool) -> tuple[str, str]:
    return ("-name", "-pk") if descending else ("name", "pk")


def person_posts(*, scope: Scope, person: Person) -> QuerySet:
    """Every post of ``person`` in scope: the open ones first, then the ended ones, latest first."""
    return (
        scope.posts(person.posts.all())
        .select_related(*POST_PLACE_RELATED)
        .order_by(F("end_date").desc(nulls_first=True), "-start_date", "pk")
    )


def institutions_search(
    *, scope: Scope, on: datetime.date, kind: str = "", region_code: str = ""
) -> QuerySet:
    """Institutions in scope with the number of posts held there on ``on`` as ``staff_count``."""
    institutions = scope.institutions(Institution.objects.all())
    if kind:
        institutions = institutions.filter(kind=kind)
    if region_code:
        institutions = institutions.filter(region__code__startswith=region_code)
    held_on = Q(posts__start_date__lte=on) & (Q(posts__end_date__isnull=True) | Q(posts__end_date__gte=on))
    return (
        institutions.select_related("region__parent")
        .annotate(staff_count=Count("posts", filter=held_on))
        .order_by("region_id", "name")
    )


def institution_staff(*, scope: Scope, institution: Institution, on: datetime.date) -> list[tuple[str, list[Post]]]:
    """The current posts at ``institution`` grouped by post, in the order posts are declared."""
    posts = scope.posts(Post.objects.current(on).filter(institution=institution)).select_related("person")
    by_kind = {kind: [] for kind in PostKind}
    for post in posts.order_by("person__name", "pk"):
        by_kind[PostKind(post.kind)].append(post)
    return [(kind.label, kind_posts) for kind, kind_posts in by_kind.items() if kind_posts]


@dataclass(frozen=True)
class Breadcrumb:
    region: Region
    linked: bool


def region_breadcrumbs(*, scope: Scope, region: Region) -> list[Breadcrumb]:
    """The region's ancestors from the province down, linked only where the viewer may open them."""
    ancestors = Region.objects.filter(code__in=region.ancestor_codes()).order_by("code")
    return [Breadcrumb(ancestor, scope.contains_region_code(ancestor.code)) for ancestor in ancestors]


@dataclass(frozen=True)
class ChildRegionCounts:
    region: Region
    supervisors: int
    directors: int


def region_children_counts(*, scope: Scope, region: Region, on: datetime.date) -> list[ChildRegionCounts]:
    """Each child region with the number of people holding a supervisor or director post there on ``on``.

    One grouped query counts the whole subtree: a post belongs to the child whose code prefixes its region.
    """
    children = list(scope.regions(region.children.all()).order_by("code"))
    if not children:
        return []
    child_length = len(children[0].code)
    counts = (
        scope.posts(Post.objects.current(on).filter(region__code__startswith=region.code, kind__in=REGION_POST_KINDS))
        .annotate(child_code=Substr("region_id", 1, child_length))
        .values("child_code")
        .annotate(
            supervisors=Count("person", distinct=True, filter=Q(kind=PostKind.CHILD_SUPERVISOR)),
            directors=Count("person", distinct=True, filter=Q(kind=PostKind.CHILD_DIRECTOR)),
        )
        .order_by()
    )
    by_code = {row["child_code"]: row for row in counts}
    return [
        ChildRegionCounts(
            region=child,
            supervisors=by_code.get(child.code, {}).get("supervisors", 0),
            directors=by_code.get(child.code, {}).get("directors", 0),
        )
        for child in children
    ]


def region_post_holders(*, scope: Scope, region: Region, on: datetime.date) -> QuerySet:
    """The supervisors or directors holding a post in exactly this township or village on ``on``."""
    return (
        scope.posts(Post.objects.current(on).filter(region=region, kind__in=REGION_POST_KINDS))
        .select_related("person")
        .order_by("kind", "person__name")
    )

