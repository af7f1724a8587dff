"""Reads about accounts for other apps' pages."""
from .models import MobileChange


def mobile_change_pending(*, person) -> MobileChange | None:
    """The new mobile number waiting for ``person``'s confirmation, if any."""
    return MobileChange.objects.filter(user__person=person).select_related("requested_by").first()
