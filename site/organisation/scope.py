"""The one answer to "what may this user see and manage?".

An administrator's scope is a region: the province sees all of Zhejiang, a city its counties, townships,
villages and the institutions it or its counties run, a county its townships, villages and county-run
institutions. A system administrator sees everything. Every view, export and task filters through here.
"""
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from .models import Post, RegionLevel, RunLevel

# The run levels an administrator of each level manages.
_MANAGED_RUN_LEVELS = {
    RegionLevel.PROVINCE: frozenset(RunLevel.values),
    RegionLevel.CITY: frozenset({RunLevel.CITY, RunLevel.COUNTY}),
    RegionLevel.COUNTY: frozenset({RunLevel.COUNTY}),
}


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
        return cls(region_code=region.code, run_levels=_MANAGED_RUN_LEVELS.get(region.level, frozenset()))

    @property
    def is_empty(self) -> bool:
        return self.region_code is None

    def contains_region_code(self, code: str) -> bool:
        return self.region_code is not None and code.startswith(self.region_code)

    def contains_institution(self, institution) -> bool:
        return self.contains_region_code(institution.region_id) and institution.run_level in self.run_levels

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


def scope_for(user) -> Scope:
    if not user.is_authenticated or not user.is_active:
        return Scope.nothing()
    if user.is_superuser:
        return Scope.everything()
    if user.admin_region_id:
        return Scope.of_region(user.admin_region)
    return Scope.nothing()
