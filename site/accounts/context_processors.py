from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import Role


def navigation(request):
    """The menu for the signed-in user's roles, so that each sees only what they can use."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    roles = user.roles
    items = [(_("My page"), reverse("accounts:home"))]
    if Role.TRAINEE in roles:
        items += [
            (_("My learning"), reverse("courses:my_learning")),
            (_("Transcript"), reverse("courses:transcript")),
            (_("Check in"), reverse("courses:check_in")),
        ]
    if Role.TIER_ADMIN in roles or Role.SYSTEM_ADMIN in roles:
        items += [
            (_("People"), reverse("organisation:person_list")),
            (_("Institutions"), reverse("organisation:institution_list")),
            (_("Regions"), reverse("organisation:region_list")),
            (_("Roster import"), reverse("organisation:import_list")),
            (_("Face-to-face sessions"), reverse("courses:session_list")),
        ]
    if Role.EDITOR in roles or Role.SYSTEM_ADMIN in roles:
        items.append((_("Content management"), reverse("wagtailadmin_home")))
    return {"navigation": [{"label": label, "url": url} for label, url in items]}
