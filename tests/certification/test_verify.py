"""Public verification, without signing in: by number, by the certificate's page (the QR code), by uploading
its PDF; masked names, never the ID number; rate limited per address."""
import io
import time
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader, PdfWriter

from certification import certificates
from certification.certificates import certificate_check_pdf, certificate_issue, certificate_revoke
from tests.factories import ISSUED_ON
from tests.hostile import pdf_with_a_huge_stream

SEARCH = reverse("certification:verify_search")
UPLOAD = reverse("certification:verify_upload")


@pytest.fixture
def issued(passed_application):
    return certificate_issue(application=passed_application, issued_on=ISSUED_ON)


def stored_pdf(certificate) -> bytes:
    with certificate.pdf.open("rb") as handle:
        return handle.read()


def upload(client, data: bytes, name="certificate.pdf", **extra):
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, data, content_type="application/pdf")}, **extra)


def text_of(response) -> str:
    return response.content.decode()


# --- By number and the certificate's page --------------------------------------------------------------


@pytest.mark.django_db
def test_a_number_leads_to_the_certificates_page(client, issued):
    response = client.get(SEARCH, {"number": "S000133000001264000001"})
    assert response.status_code == 302 and response["Location"] == issued.get_absolute_url()


@pytest.mark.django_db
def test_a_number_typed_with_spaces_and_lower_case_is_found(client, issued):
    response = client.get(SEARCH, {"number": " s0001 33 000001 26 4 000001 "})
    assert response.status_code == 302 and response["Location"] == issued.get_absolute_url()


@pytest.mark.django_db
def test_the_page_of_a_valid_certificate_masks_the_name_and_hides_the_id_number(client, issued):
    response = client.get(issued.get_absolute_url())
    page = text_of(response)
    assert response.status_code == 200
    assert "张*明" in page and "张晓明" not in page
    assert issued.person.id_number not in page and issued.person.id_number_masked not in page
    for shown in ("S000133000001264000001", "孤残儿童护理员", "四级/中级工", "2026-11-29", "浙江省儿童福利职业技能评价中心"):
        assert shown in page, shown
    assert "badge-ok" in page and "REVOKED" not in page


@pytest.mark.django_db
def test_the_level_is_shown_in_the_readers_language_and_by_its_national_name(client, issued):
    with translation.override("en"):
        page = text_of(client.get(issued.get_absolute_url(), HTTP_COOKIE="django_language=en"))
    assert "Level 4 / Intermediate worker" in page and "四级/中级工" in page


@pytest.mark.django_db
def test_a_revoked_certificate_says_so(client, issued):
    certificate_revoke(certificate=issued, user=issued.application.session.created_by, reason="材料不实")
    page = text_of(client.get(issued.get_absolute_url(), HTTP_COOKIE="django_language=en"))
    assert "REVOKED" in page and "no longer valid" in page and "badge-ok" not in page
    assert "材料不实" not in page  # the reason is for the record, not the public


@pytest.mark.django_db
def test_an_unknown_number_is_reported(client, issued):
    response = client.get(SEARCH, {"number": "S000133000001264000099"}, HTTP_COOKIE="django_language=en")
    assert response.status_code == 200
    assert "No certificate with the number S000133000001264000099 has been issued here." in text_of(response)


@pytest.mark.django_db
@pytest.mark.parametrize("number", ["S00013300000126400001", "X000133000001264000001", "S000133000001269000001", "abc"])
def test_a_malformed_number_is_a_form_error(client, number):
    response = client.get(SEARCH, {"number": number}, HTTP_COOKIE="django_language=en")
    assert response.status_code == 200
    assert response.context["form"].errors["number"]
    assert "22 characters" in text_of(response)


@pytest.mark.django_db
def test_the_empty_form_opens(client):
    response = client.get(SEARCH)
    assert response.status_code == 200 and not response.context["form"].is_bound


@pytest.mark.django_db
def test_anonymous_visitors_verify_without_signing_in(client, issued):
    for url in (SEARCH, UPLOAD, issued.get_absolute_url()):
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_the_page_offers_the_pdf_to_its_holder_only(client, issued):
    from tests.factories import UserFactory

    pdf_link = reverse("certification:certificate_pdf", args=[issued.public_id])
    assert pdf_link not in text_of(client.get(issued.get_absolute_url()))
    client.force_login(UserFactory(person=issued.person))
    assert pdf_link in text_of(client.get(issued.get_absolute_url()))


# --- Rate limits ---------------------------------------------------------------------------------------


@pytest.fixture
def frozen_clock():
    # The limit counts in fixed windows of a minute: keep the test inside one.
    with mock.patch("django_ratelimit.core.time.time", return_value=1_800_000_000.0):
        yield


@pytest.mark.django_db
def test_the_31st_lookup_in_a_minute_is_refused(client, issued, frozen_clock):
    for attempt in range(30):
        assert client.get(SEARCH, {"number": f"S000133000001264{attempt + 100:06d}"}).status_code == 200
    refused = client.get(SEARCH, {"number": "S000133000001264000001"})
    assert refused.status_code == 429
    assert "429.html" in [template.name for template in refused.templates]
    # Another address is not held up.
    assert client.get(SEARCH, {"number": "S000133000001264000001"}, REMOTE_ADDR="10.1.2.3").status_code == 302


@pytest.mark.django_db
def test_the_certificates_page_is_limited_too(client, issued, frozen_clock):
    for _ in range(30):
        assert client.get(issued.get_absolute_url()).status_code == 200
    assert client.get(issued.get_absolute_url()).status_code == 429


@pytest.mark.django_db
def test_the_11th_upload_in_a_minute_is_refused(client, frozen_clock):
    for _ in range(10):
        assert upload(client, b"hello").status_code == 200
    assert upload(client, b"hello").status_code == 429


@pytest.mark.django_db
def test_opening_the_forms_does_not_count(client, frozen_clock):
    for _ in range(40):
        assert client.get(SEARCH).status_code == 200
        assert client.get(UPLOAD).status_code == 200


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_client_is_counted_apart(client, settings, issued, frozen_clock):
    settings.TRUSTED_PROXY_COUNT = 1
    for attempt in range(30):
        client.get(SEARCH, {"number": "S000133000001264000001"}, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert client.get(SEARCH, {"number": "S000133000001264000001"}, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    assert client.get(SEARCH, {"number": "S000133000001264000001"}, HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 302


# --- Uploading a PDF -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_issued_pdf_matches(client, issued):
    response = upload(client, stored_pdf(issued), HTTP_COOKIE="django_language=en")
    check = response.context["check"]
    assert check.matches and check.certificate == issued
    page = text_of(response)
    assert "Genuine" in page and "S000133000001264000001" in page and "张*明" in page and "张晓明" not in page


@pytest.mark.django_db
def test_the_issued_pdf_of_a_revoked_certificate_matches_but_says_revoked(client, issued):
    certificate_revoke(certificate=issued, user=issued.application.session.created_by, reason="材料不实")
    response = upload(client, stored_pdf(issued), HTTP_COOKIE="django_language=en")
    assert response.context["check"].matches
    assert "REVOKED" in text_of(response) and "Genuine" not in text_of(response)


NOT_ISSUED = "This file is not a certificate PDF issued by this platform, or it has been changed since it was issued."


@pytest.mark.django_db
def test_a_pdf_drawn_again_with_another_name_does_not_match(client, issued):
    issued.holder_name = "李大伟"  # not saved: a forger's copy of the template
    forged = certificates.certificate_render_pdf(issued)
    response = upload(client, forged, HTTP_COOKIE="django_language=en")
    check = response.context["check"]
    assert not check.matches and check.certificate is None
    assert NOT_ISSUED in text_of(response) and "Genuine" not in text_of(response)


@pytest.mark.django_db
def test_a_pdf_rewritten_by_another_program_does_not_match(issued):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(stored_pdf(issued))))
    writer.add_metadata({"/Producer": "an editor"})
    rewritten = io.BytesIO()
    writer.write(rewritten)
    check = certificate_check_pdf(data=rewritten.getvalue())
    assert not check.matches and check.certificate is None and check.message.startswith(NOT_ISSUED)


@pytest.mark.django_db
def test_a_pdf_that_inflates_to_megabytes_is_answered_at_once_without_being_read(client, issued):
    """Anyone may upload here: a small PDF whose stream inflates to 20 MB cost 10-20 s of a worker when the
    file was parsed. It is compared by its SHA-256 only, so it is answered in the time it takes to hash it."""
    data = pdf_with_a_huge_stream(megabytes=20)
    assert len(data) < 200 * 1024
    started = time.monotonic()
    response = upload(client, data, HTTP_COOKIE="django_language=en")
    assert time.monotonic() - started < 2
    assert response.status_code == 200 and NOT_ISSUED in text_of(response)
    assert "S000133000001264000001" not in text_of(response)  # the number inside it was never read


@pytest.mark.django_db
@pytest.mark.parametrize("data", [b"hello, world", b"\x89PNG\r\n\x1a\n" + bytes(200), b"%PDF-1.7\n" + bytes(range(256)) * 8])
def test_anything_else_gets_the_same_clear_answer(client, data):
    response = upload(client, data, HTTP_COOKIE="django_language=en")
    check = response.context["check"]
    assert response.status_code == 200 and not check.matches and check.certificate is None
    assert check.message.startswith(NOT_ISSUED)


@pytest.mark.django_db
def test_an_empty_file_is_a_form_error(client):
    response = upload(client, b"", HTTP_COOKIE="django_language=en")
    assert response.status_code == 200 and response.context["form"].errors["file"]


@pytest.mark.django_db
def test_a_file_over_5_mb_is_refused(client):
    response = upload(client, b"%PDF-1.4\n" + bytes(5 * 1024 * 1024), HTTP_COOKIE="django_language=en")
    assert response.status_code == 200 and response.context["check"] is None
    assert response.context["form"].errors["file"]


@pytest.mark.django_db
def test_an_upload_without_a_file_is_a_form_error(client):
    response = client.post(UPLOAD, {}, HTTP_COOKIE="django_language=en")
    assert response.status_code == 200 and response.context["form"].errors["file"]
