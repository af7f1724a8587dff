from django import template
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from ..models import LessonPage

register = template.Library()


@register.simple_tag(takes_context=True)
def learning_url(context, page):
    """Where a trainee opens ``page``: a lesson by its id (courses.views.lessons.lesson, the fast way in),
    any other page at its Wagtail address."""
    if page.content_type_id == ContentType.objects.get_for_model(LessonPage).pk:
        return reverse("courses:lesson", args=[page.pk])
    return page.get_url(context.get("request"))
