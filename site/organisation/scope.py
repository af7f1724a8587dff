"""The one answer to "what may this user see and manage?".

An administrator's scope is a region: the province sees all of Zhejiang, a city its counties, townships,
villages and the institutions it or its counties run, a county its townships, villages and county-run
institutions. A system administrator sees everything. Every view, export and task filters through here.

Seeing is not changing: an administrator may change a person (details, posts, account) only when every
post the person still holds is in their scope. Someone who also holds a post managed by another region is
changed by that region, or by an administrator over both; a person moves when the old region ends the post
and the new region then adds its own. The roster import and every management service ask here.
"""
import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import CODE_LENGTHS, Post, Region, RegionLevel, RunLevel

# The run levels an administrator of each level manages.
_MANAGED_RUN_LEVELS = {
    RegionLevel.PROVINCE: frozenset(RunLevel.values),
    RegionLevel.CITY: frozenset({RunLevel.CITY, RunLevel.COUNTY}),
    RegionLevel.COUNTY: frozenset({RunLevel.COUNTY}),
}


def managed_run_levels(level: str) -> frozenset[str]:
    """The run levels of the institutions an administrator of a region of ``level`` manages."""
    return _MANAGED_RUN_LEVELS.get(level, frozenset())


@dataclass(frozen=True)
class Scope:
    """``region_code`` is the prefix of every code in scope; "" means every region, None means none."""

    region_code: str | None
    run_levels: frozenset[str]

    @classmethod
    def nothing(cls) -> "Scope":
        return cls(region_code=None, run_levels=frozenset())

    @classmethod
    def everything(cls) -> "Scope":
        return cls(region_code="", run_levels=frozenset(RunLevel.values))

    @classmethod
    def of_region(cls, region) -> "Scope":
        return cls(region_code=region.code, run_levels=managed_run_levels(region.level))

    @property
    def is_empty(self) -> bool:
        return self.region_code is None

    def contains_region_code(self, code: str) -> bool:
        return self.region_code is not None and code.startswith(self.region_code)

    def contains_institution(self, institution) -> bool:
        return self.contains_region_code(institution.region_id) and institution.run_level in self.run_levels

    def contains_post(self, post) -> bool:
        """As ``posts()`` for one post; an institution post reads its (loaded) institution."""
        if post.institution_id is not None:
            return self.contains_institution(post.institution)
        return self.contains_region_code(post.region_id)

    def regions_managing_elsewhere(self, posts, *, on: datetime.date) -> list[str]:
        """The codes of the regions managing those of ``posts`` still held after ``on`` that this scope
        does not manage; empty when this scope may change their holder. A post whose last day is ``on``
        has been ended, so the new region may take the person on the same day."""
        return sorted({
            managing_region_code(post) for post in posts
            if (post.end_date is None or post.end_date > on) and not self.contains_post(post)
        })

    def regions(self, queryset: QuerySet) -> QuerySet:
        if self.is_empty:
            return queryset.none()
        return queryset.filter(code__startswith=self.region_code)

    def institutions(self, queryset: QuerySet) -> QuerySet:
        if self.is_empty:
            return queryset.none()
        return queryset.filter(region__code__startswith=self.region_code, run_level__in=self.run_levels)

    def posts(self, queryset: QuerySet) -> QuerySet:
        if self.is_empty:
            return queryset.none()
        queryset = queryset.filter(region__code__startswith=self.region_code)
        if self.run_levels != _MANAGED_RUN_LEVELS[RegionLevel.PROVINCE]:
            # Region posts have no institution; institution posts need an institution this scope manages.
            queryset = queryset.exclude(institution__run_level__in=set(RunLevel.values) - self.run_levels)
        return queryset

    def people(self, queryset: QuerySet) -> QuerySet:
        """People holding, or having held, a post in scope."""
        if self.is_empty:
            return queryset.none()
        return queryset.filter(Exists(self.posts(Post.objects.filter(person=OuterRef("pk")))))


# The level whose administrators manage an institution post, by the institution's run level; posts in a
# township or village are their county's.
_MANAGING_LEVEL = {
    RunLevel.PROVINCE: RegionLevel.PROVINCE, RunLevel.CITY: RegionLevel.CITY, RunLevel.COUNTY: RegionLevel.COUNTY,
}


def managing_region_code(post) -> str:
    """The lowest region whose administrators manage ``post``."""
    level = _MANAGING_LEVEL[post.institution.run_level] if post.institution_id is not None else RegionLevel.COUNTY
    return post.region_id[:CODE_LENGTHS[level]]


class PersonChangeRefused(Exception):
    """The person holds a post another region manages; the message names it."""

    @classmethod
    def managed_by(cls, region_codes: list[str]) -> "PersonChangeRefused":
        """Names each region from its city down (丽水市莲都区), or the province alone."""
        wanted = {code[:length] for code in region_codes for length in (2, 4, 6) if length <= len(code)}
        names = dict(Region.objects.filter(code__in=wanted).values_list("code", "name"))
        labels = [
            "".join(names.get(code[:length], "") for length in (4, 6) if length <= len(code)) or names.get(code, code)
            for code in sorted(region_codes)
        ]
        regions = "、".join(labels)
        return cls(
            _(
                "This person is managed by %(regions)s, so you cannot change them. To move them to your area, "
                "%(regions)s first ends their post and you then add yours, or an administrator over both "
                "areas does it."
            ) % {"regions": regions}
        )


def person_check_manageable(*, scope: Scope, person, on: datetime.date | None = None) -> None:
    """Raise PersonChangeRefused unless ``scope`` manages every post ``person`` still holds."""
    if scope.is_empty:
        raise PersonChangeRefused(_("You do not manage anyone."))
    posts = Post.objects.filter(person=person).select_related("institution")
    managing = scope.regions_managing_elsewhere(posts, on=on or timezone.localdate())
    if managing:
        raise PersonChangeRefused.managed_by(managing)


def scope_for(user) -> Scope:
    if not user.is_authenticated or not user.is_active:
        return Scope.nothing()
    if user.is_superuser:
        return Scope.everything()
    if user.admin_region_id:
        return Scope.of_region(user.admin_region)
    return Scope.nothing()
