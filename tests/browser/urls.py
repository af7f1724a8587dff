"""The site's URLs plus uploaded media, for browser tests of pages that show videos. The site serves media
only when DEBUG is on, and the live server runs with DEBUG off."""
from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from academy.urls import urlpatterns as site_urlpatterns


def media(request, path):
    # MEDIA_ROOT is a fresh temporary folder in every test (conftest.py): read it per request.
    return serve(request, path, document_root=settings.MEDIA_ROOT)


# Before the site's own patterns, whose last one hands every address to Wagtail.
urlpatterns = [
    re_path(r"^media/(?P<path>.*)$", media),
    # Media at another address (the ``media_through_the_site`` fixture), which the live server's own media handler
    # leaves to the site, so that they pass its middleware (Range requests) as in DEBUG.
    re_path(r"^site-media/(?P<path>.*)$", media),
    *site_urlpatterns,
]
