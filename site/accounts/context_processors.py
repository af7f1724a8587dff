from functools import partial

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import Role
from .notifications import unread_count
from .wechat.views import wechat_available


def navigation(request):
    """The menu for the signed-in user's roles, so that each sees only what they can use."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        # Asked only by the sign-in page and my page: whether WeChat is configured for this browser.
        return {"navigation": [], "wechat_sign_in": partial(wechat_available, request)}
    roles = user.roles
    items = [(_("My page"), reverse("accounts:home"))]
    if Role.TRAINEE in roles:
        items += [
            (_("My learning"), reverse("courses:my_learning")),
            (_("Transcript"), reverse("courses:transcript")),
            (_("Check in"), reverse("courses:check_in")),
            (_("Skill certification"), reverse("certification:home")),
        ]
    if Role.ASSESSOR in roles:
        items.append((_("Assessment"), reverse("certification:assessor_home")))
    if Role.TIER_ADMIN in roles or Role.SYSTEM_ADMIN in roles:
        items += [
            (_("Coverage"), reverse("analytics:home")),
            (_("Dashboards"), reverse("analytics:dashboard_index")),
            (_("Monthly reports"), reverse("analytics:report_list")),
            (_("People"), reverse("organisation:person_list")),
            (_("Institutions"), reverse("organisation:institution_list")),
            (_("Regions"), reverse("organisation:region_list")),
            (_("Roster import"), reverse("organisation:import_list")),
            (_("Face-to-face sessions"), reverse("courses:session_list")),
            (_("Training plans"), reverse("courses:plan_list")),
            (_("Assessment sessions"), reverse("certification:session_list")),
        ]
    if Role.SYSTEM_ADMIN in roles:
        items.append((_("Audit trail"), reverse("organisation:audit_list")))
    if Role.EDITOR in roles or Role.SYSTEM_ADMIN in roles:
        items.append((_("Content management"), reverse("wagtailadmin_home")))
    return {
        "navigation": [{"label": label, "url": url} for label, url in items],
        "wechat_sign_in": partial(wechat_available, request),
        # Counted only if a template asks (the header does, once, with {% with %}): one small query.
        "unread_notification_count": partial(unread_count, user=user),
    }
