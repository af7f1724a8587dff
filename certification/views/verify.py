"""Public verification of certificates, without signing in: look a certificate up by its number, see its page
(the QR code on the certificate leads there), or upload a PDF to learn whether it is the one issued.

The pages show what an employer needs and no more: the holder's name masked, never the ID number. Each is
rate limited per client address against enumerating numbers (academy.verification, shared with transcripts)."""
from django import forms
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from academy.verification import LOOKUPS_PER_MINUTE, name_mask, rate_limited

from .. import certificates
from ..models import LEVEL_NATIONAL_NAMES, OCCUPATION, Certificate
from ..numbers import NUMBER_LENGTH, certificate_number_is_well_formed
from ..permissions import can_download_certificate

UPLOADS_PER_MINUTE = "10/m"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def _lookup_rate(group, request):
    # Opening the empty form is not a look-up.
    return LOOKUPS_PER_MINUTE if request.GET.get("number") else None


def _upload_rate(group, request):
    return UPLOADS_PER_MINUTE if request.method == "POST" else None


class NumberForm(forms.Form):
    number = forms.CharField(
        label=gettext_lazy("Certificate number"), max_length=40,
        help_text=gettext_lazy("22 characters: the letter Y or S, then 21 digits, as printed on the certificate."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )

    def clean_number(self):
        # As read off paper or a phone: spaces and lower case forgiven.
        number = "".join(self.cleaned_data["number"].split()).upper()
        if not certificate_number_is_well_formed(number):
            raise forms.ValidationError(
                _("A certificate number has %(length)s characters: the letter Y or S, then 21 digits. Check it "
                  "against the certificate.") % {"length": NUMBER_LENGTH}
            )
        return number


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Certificate PDF"),
        help_text=gettext_lazy("The PDF file of the certificate, as the holder received it (at most 5 MB)."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s: a certificate PDF is much smaller.")
                % {"size": filesizeformat(MAX_UPLOAD_BYTES)}
            )
        return upload


@never_cache
@require_http_methods(["GET", "HEAD"])
@rate_limited(group="certification.verify_lookup", rate=_lookup_rate)
def verify_search(request):
    form = NumberForm(request.GET if "number" in request.GET else None)
    not_found = None
    if form.is_bound and form.is_valid():
        number = form.cleaned_data["number"]
        certificate = Certificate.objects.filter(number=number).first()
        if certificate is not None:
            return redirect(certificate)
        not_found = number
    return render(request, "certification/verify_search.html", {"form": form, "not_found": not_found})


@never_cache
@require_http_methods(["GET", "HEAD"])
@rate_limited(group="certification.verify_certificate", rate=LOOKUPS_PER_MINUTE)
def verify_certificate(request, public_id):
    certificate = get_object_or_404(Certificate, public_id=public_id)
    return render(request, "certification/verify_certificate.html", {
        "certificate": certificate,
        "masked_name": name_mask(certificate.holder_name),
        "occupation": OCCUPATION,
        "level_national_name": LEVEL_NATIONAL_NAMES[certificate.level],
        "may_download": can_download_certificate(request.user, certificate),
    })


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@rate_limited(group="certification.verify_upload", rate=_upload_rate)
def verify_upload(request):
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    check = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        upload.seek(0)
        check = certificates.certificate_check_pdf(data=upload.read(MAX_UPLOAD_BYTES + 1))
    return render(request, "certification/verify_upload.html", {
        "form": form,
        "check": check,
        "masked_name": name_mask(check.certificate.holder_name) if check and check.certificate else "",
    })
