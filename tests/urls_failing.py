"""The site's URLs and one that fails, for the tests of what an error leaves behind (Sentry, the 500 page)."""
from django.urls import path

from academy.urls import urlpatterns as site_urlpatterns


class DeliberateFailure(Exception):
    pass


def fail(request):
    raise DeliberateFailure("a test asked for this")


urlpatterns = [path("fail/", fail), *site_urlpatterns]
