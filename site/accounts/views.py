from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def home(request):
    """The signed-in person's own page: their posts and their account."""
    person = request.user.person
    posts = person.posts.select_related("region", "institution") if person else []
    return render(request, "accounts/home.html", {"person": person, "posts": posts})
