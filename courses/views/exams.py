# Temporary: replaced by the helper writing this area.
from django.http import Http404


def start_attempt(request, *args, **kwargs):
    raise Http404


def take_attempt(request, *args, **kwargs):
    raise Http404


def save_answers(request, *args, **kwargs):
    raise Http404


def submit_attempt(request, *args, **kwargs):
    raise Http404


def attempt_result(request, *args, **kwargs):
    raise Http404
