from urllib.parse import urlsplit

from django import template
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from .. import renditions
from ..models import LessonPage

register = template.Library()


@register.simple_tag(takes_context=True)
def learning_url(context, page):
    """Where a trainee opens ``page``: a lesson by its id (courses.views.lessons.lesson, the fast way in),
    any other page at its Wagtail address."""
    if page.content_type_id == ContentType.objects.get_for_model(LessonPage).pk:
        return reverse("courses:lesson", args=[page.pk])
    return page.get_url(context.get("request"))


@register.filter
def file_bytes(file) -> int | None:
    """A stored file's size in bytes, or None when the file is missing (a page still shows)."""
    try:
        return file.size
    except (OSError, ValueError):
        return None


@register.filter
def served_here(url: str) -> bool:
    """Whether ``url`` is on this site's own address (media on local disk), not a bucket's or a CDN's: the
    service worker keeps and plays back only files of its own origin."""
    return not urlsplit(url or "").netloc


@register.simple_tag
def video_playback(video) -> dict:
    """What a lesson page plays for ``video``: its renditions or the original file, and its poster frame."""
    return renditions.video_playback(video)
