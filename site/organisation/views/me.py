"""The signed-in user's own page (/me/, accounts:home): who they are on the roster, their posts, what they
administer and their account. The page is the organisation's because it shows posts and scope; accounts,
below the organisation, keep the rest of /me/ (academy.urls routes both under the accounts namespace)."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from academy.accounts.models import MobileChange, Role
from academy.accounts.second_factor import has_second_factor, second_factor_offered

from ..permissions import is_administrator
from ..selectors import POST_PLACE_RELATED, region_path_label


@login_required
def home(request):
    user = request.user
    person = user.person
    posts = person.posts.select_related(*POST_PLACE_RELATED) if person else []
    admin_region = user.admin_region if user.admin_region_id else None
    today = timezone.localdate()
    return render(request, "accounts/home.html", {
        "person": person,
        "posts": [
            {"post": post, "place": region_path_label(post.region), "is_current": post.is_held_on(today)}
            for post in posts
        ],
        "roles": [role.label for role in Role if role in user.roles],
        "is_administrator": is_administrator(user),
        "admin_region": admin_region,
        "admin_region_path": region_path_label(admin_region) if admin_region else "",
        "mobile_change": MobileChange.objects.filter(user=user).first(),
        "second_factor_offered": second_factor_offered(user),
        "has_second_factor": second_factor_offered(user) and has_second_factor(user),
    })
