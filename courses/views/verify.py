"""The public page a transcript's QR code leads to, without signing in: whether this platform issued it, the
holder's name masked, the year and the totals as issued. Rate limited per address like certificates' pages."""
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from academy.verification import LOOKUPS_PER_MINUTE, name_mask, rate_limited

from ..models import IssuedTranscript


@never_cache
@require_http_methods(["GET", "HEAD"])
@rate_limited(group="courses.transcript_verify", rate=LOOKUPS_PER_MINUTE)
def transcript_verify(request, token):
    issued = IssuedTranscript.objects.filter(token=token).first()
    if issued is None:
        return render(request, "courses/transcript_verify.html", {"issued": None}, status=404)
    return render(request, "courses/transcript_verify.html", {
        "issued": issued,
        "masked_name": name_mask(issued.holder_name),
    })
