# Temporary: replaced by the helper writing this area.
from django.http import Http404


def session_list(request, *args, **kwargs):
    raise Http404


def session_create(request, *args, **kwargs):
    raise Http404


def session_detail(request, *args, **kwargs):
    raise Http404


def session_edit(request, *args, **kwargs):
    raise Http404


def session_enrol(request, *args, **kwargs):
    raise Http404


def session_attendance(request, *args, **kwargs):
    raise Http404


def session_check_in_display(request, *args, **kwargs):
    raise Http404


def session_qr(request, *args, **kwargs):
    raise Http404


def check_in(request, *args, **kwargs):
    raise Http404


def check_in_by_qr(request, *args, **kwargs):
    raise Http404
