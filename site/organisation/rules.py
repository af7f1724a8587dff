"""Where each post may be held: supervisors in a township, directors in a village, the other posts in an
institution. Used by the roster import, the edit forms and the demo data."""
from django.utils.translation import gettext as _

from .models import INSTITUTION_POSTS, REGION_POST_LEVELS, PostKind


def post_place_error(kind: str, region, institution) -> str | None:
    """Why a post of ``kind`` cannot be held at ``region`` / ``institution``, or None when it can."""
    if kind in INSTITUTION_POSTS:
        if institution is None:
            return _("A %(post)s post needs an institution.") % {"post": PostKind(kind).label}
        return None
    if institution is not None:
        return _("A %(post)s post is held in a region, not an institution.") % {"post": PostKind(kind).label}
    if region is None:
        return _("A %(post)s post needs a region.") % {"post": PostKind(kind).label}
    needed = REGION_POST_LEVELS[kind]
    if region.level != needed:
        return _("A %(post)s post is held in a %(level)s; %(region)s is a %(actual)s.") % {
            "post": PostKind(kind).label,
            "level": needed.label,
            "region": region.name,
            "actual": region.get_level_display(),
        }
    return None
