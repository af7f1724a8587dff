"""The carer's pages: /certification/, applying with the eligibility check shown reason by reason, an
application's page, withdrawing, results and certificates after sign-off, and the theory exam code page."""
import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from academy.organisation.models import PostKind
from certification.models import (
    Application, ApplicationStatus, Certificate, Outcome, PartResult, SessionStatus,
)
from certification.photos import PHOTO_PIXELS
from tests.factories import UserFactory, photo_bytes, user_with_role
from tests.hostile import jpeg_declaring, png_declaring

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def session(session_factory):
    return session_factory(level=5, title="护理员五级认定第1期")


@pytest.fixture
def carer(carer_factory):
    return carer_factory(years=2, hours=200, name="王护理")


@pytest.fixture
def head(institution_a, carer_factory):
    """The head of institution A, with an account."""
    return carer_factory(institution=institution_a, kind=PostKind.INSTITUTION_HEAD, hours=0, name="李院长").user


def _pdf(size=1000, name="proof.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 " + b"0" * size, content_type="application/pdf")


# --- Who may see what ---------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, session, carer, make_candidate):
    application = make_candidate(session, carer)
    for url in (
        reverse("certification:home"), reverse("certification:apply", args=[session.public_id]),
        application.get_absolute_url(), reverse("certification:theory_entry"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and reverse("account_login") in response["Location"], url


def test_an_application_is_seen_by_its_person_the_head_who_applied_and_the_organiser_only(
    client, session, carer_factory, head, institution_a, province_admin
):
    carer = carer_factory(institution=institution_a, name="赵护理")
    client.force_login(head)
    client.post(reverse("certification:apply", args=[session.public_id]), {"person": carer.pk})
    application = Application.objects.get(person=carer)
    url = application.get_absolute_url()

    for user, status in (
        (carer.user, 200), (head, 200), (province_admin, 200),
        (user_with_role("trainee"), 403), (user_with_role("assessor"), 403),
        (user_with_role("city_admin", admin_region_code="3302"), 403),
    ):
        client.force_login(user)
        assert client.get(url).status_code == status, user


# --- The home page --------------------------------------------------------------------------------------


def test_a_carer_sees_the_open_sessions_with_an_apply_button(client, session, carer, session_factory):
    closed = session_factory(title="已截止的场次", applications_close_on=timezone.localdate() - datetime.timedelta(days=1))
    client.force_login(carer.user)
    response = client.get(reverse("certification:home"))
    content = response.content.decode()
    assert response.status_code == 200
    assert session.title in content and closed.title not in content
    assert reverse("certification:apply", args=[session.public_id]) in content
    assert "No applications yet." in content


def test_a_user_without_a_roster_entry_is_told_why_they_cannot_apply(client, session):
    client.force_login(UserFactory())
    response = client.get(reverse("certification:home"))
    assert "not linked to anyone on the roster" in response.content.decode()
    assert client.get(reverse("certification:apply", args=[session.public_id])).status_code == 403


def test_assessors_and_administrators_find_their_pages_from_the_home_page(client, province_admin, assessor_factory):
    client.force_login(province_admin)
    assert reverse("certification:session_list") in client.get(reverse("certification:home")).content.decode()
    client.force_login(assessor_factory())
    assert reverse("certification:assessor_home") in client.get(reverse("certification:home")).content.decode()


def test_an_institution_head_sees_the_carers_they_may_apply_for(client, session, head, carer_factory, institution_a, institution_b):
    carer_factory(institution=institution_a, name="本院护理员")
    carer_factory(institution=institution_b, name="外院护理员")
    client.force_login(head)
    content = client.get(reverse("certification:home")).content.decode()
    assert "本院护理员" in content and "外院护理员" not in content


# --- Applying -------------------------------------------------------------------------------------------


def test_the_eligibility_check_is_shown_reason_by_reason_before_applying(client, session, carer):
    client.force_login(carer.user)
    response = client.get(reverse("certification:apply", args=[session.public_id]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "王护理 meets the rules" in content
    assert "1.0 years in the occupation or related work: you have 2.0." in content
    assert re.search(r"Training hours: 180\.0 needed; 200(\.0)? on the platform", content)
    assert content.count('class="reason-ok"') == 2 and 'class="reason-bad"' not in content


def test_a_carer_short_of_hours_sees_which_rule_fails(client, session, carer_factory):
    carer = carer_factory(years=3, hours=100)
    client.force_login(carer.user)
    content = client.get(reverse("certification:apply", args=[session.public_id])).content.decode()
    assert "does not meet the rules yet" in content
    assert re.search(r"Training hours: 180\.0 needed; 100(\.0)? on the platform", content)
    assert content.count('class="reason-bad"') == 1 and content.count('class="reason-ok"') == 1


def test_applying_creates_the_application_and_shows_it(client, session, carer):
    client.force_login(carer.user)
    response = client.post(reverse("certification:apply", args=[session.public_id]), {"person": carer.pk})
    application = Application.objects.get(session=session, person=carer)
    assert response.status_code == 302 and response["Location"] == application.get_absolute_url()
    assert application.is_eligible and application.status == ApplicationStatus.SUBMITTED
    page = client.get(application.get_absolute_url()).content.decode()
    assert "Waiting for approval" in page and "Withdraw the application" in page


def test_the_application_page_in_chinese_says_when_it_was_made(client, session, carer, settings):
    """"Applied" was translated once for both its senses: the application showed 已导入 (a roster import's)."""
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(carer.user)
    client.post(reverse("certification:apply", args=[session.public_id]), {"person": carer.pk})
    page = client.get(Application.objects.get(person=carer).get_absolute_url()).content.decode()
    assert "<dt>报名时间</dt>" in page and "已导入" not in page


def test_an_ineligible_application_is_submitted_with_a_warning(client, session, carer_factory):
    carer = carer_factory(years=0.5, hours=200)
    client.force_login(carer.user)
    response = client.post(reverse("certification:apply", args=[session.public_id]), {"person": carer.pk}, follow=True)
    assert "the rules are not met yet" in response.content.decode()
    assert Application.objects.get(person=carer).is_eligible is False


def test_applying_twice_is_refused_with_the_reason(client, session, carer):
    client.force_login(carer.user)
    url = reverse("certification:apply", args=[session.public_id])
    client.post(url, {"person": carer.pk})
    response = client.post(url, {"person": carer.pk})
    assert response.status_code == 200
    today = timezone.localdate().isoformat()
    assert f"王护理 has already applied for this session: applied on {today} by 王护理." in response.content.decode()
    assert Application.objects.filter(person=carer).count() == 1


def test_external_hours_need_a_proof_and_count_with_it(client, session, carer_factory):
    carer = carer_factory(years=2, hours=150)
    client.force_login(carer.user)
    url = reverse("certification:apply", args=[session.public_id])
    response = client.post(url, {"person": carer.pk, "external_hours": "40"})
    assert "Upload a proof of the external training hours" in response.content.decode()
    assert not Application.objects.exists()

    response = client.post(url, {"person": carer.pk, "external_hours": "40", "proof": _pdf()})
    application = Application.objects.get(person=carer)
    assert application.is_eligible and application.external_hours_proof
    assert re.search(r"plus 40(\.0)? external counted", client.get(application.get_absolute_url()).content.decode())


@pytest.mark.parametrize("field, upload, message", [
    ("proof", _pdf(size=5 * 1024 * 1024 + 1), "The proof is larger than 5 MB."),
    ("proof", SimpleUploadedFile("proof.docx", b"x"), "Upload the proof as a PDF, JPG or PNG file."),
    ("photo", SimpleUploadedFile("me.jpg", b"0" * (2 * 1024 * 1024 + 1)), "The photo is larger than 2 MB."),
    ("photo", SimpleUploadedFile("me.gif", b"GIF89a"), "Upload the photo as a JPG or PNG file."),
])
def test_uploads_are_checked_for_type_and_size(client, session, carer, field, upload, message):
    upload.seek(0)
    client.force_login(carer.user)
    data = {"person": carer.pk, field: upload}
    if field == "proof":
        data["external_hours"] = "10"
    response = client.post(reverse("certification:apply", args=[session.public_id]), data)
    assert message in response.content.decode()
    assert not Application.objects.exists()


def test_a_head_checks_and_applies_for_a_carer_of_their_institution(client, session, head, carer_factory, institution_a):
    carer = carer_factory(institution=institution_a, years=0.5, name="新护理员")
    client.force_login(head)
    url = reverse("certification:apply", args=[session.public_id])
    content = client.get(url, {"person": carer.pk}).content.decode()
    assert "新护理员 does not meet the rules yet" in content
    assert "you have 0.5" in content
    client.post(url, {"person": carer.pk})
    application = Application.objects.get(person=carer)
    assert application.applied_by == head and application.institution == institution_a


def test_a_head_cannot_apply_for_a_carer_of_another_institution(client, session, head, carer_factory, institution_b):
    other = carer_factory(institution=institution_b)
    client.force_login(head)
    response = client.post(reverse("certification:apply", args=[session.public_id]), {"person": other.pk})
    assert response.status_code == 200
    assert not Application.objects.filter(person=other).exists()


def test_a_closed_session_takes_no_application(client, session_factory, carer):
    session = session_factory(status=SessionStatus.CLOSED)
    client.force_login(carer.user)
    url = reverse("certification:apply", args=[session.public_id])
    assert "not open for applications" in client.get(url).content.decode()
    client.post(url, {"person": carer.pk})
    assert not Application.objects.exists()


# --- After applying -------------------------------------------------------------------------------------


def test_the_applicant_withdraws_while_the_session_is_open(client, session, carer):
    client.force_login(carer.user)
    client.post(reverse("certification:apply", args=[session.public_id]), {"person": carer.pk})
    application = Application.objects.get(person=carer)
    response = client.post(application.get_absolute_url(), {"action": "withdraw"}, follow=True)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    assert "The application is withdrawn." in response.content.decode()
    assert "Withdraw the application" not in response.content.decode()


def test_results_and_the_certificate_appear_after_sign_off(client, session, carer, make_candidate):
    application = make_candidate(session, carer)
    PartResult.objects.create(application=application, part="theory", score=82, pass_mark=60, passed=True)
    PartResult.objects.create(application=application, part="skill", score=75, pass_mark=60, passed=True)
    application.outcome = Outcome.PASSED
    application.save()
    client.force_login(carer.user)
    # Before sign-off nothing of the results is shown.
    assert "Theory knowledge exam" not in client.get(reverse("certification:home")).content.decode()

    session.status = SessionStatus.SIGNED_OFF
    session.save()
    certificate = Certificate.objects.create(
        number="S000133330001265000001", application=application, person=carer, level=5, holder_name=carer.name,
        issuer=session.centre.name, issued_on=timezone.localdate(),
    )
    content = client.get(reverse("certification:home")).content.decode()
    assert re.search(r"Theory knowledge exam</span>\s*<span class=\"part-score\">82", content)
    assert "Passed" in content
    assert certificate.number in content
    assert reverse("certification:certificate_pdf", args=[certificate.public_id]) in content
    assert reverse("certification:verify_certificate", args=[certificate.public_id]) in content


def test_an_approved_candidate_of_an_online_exam_is_told_where_to_enter_the_code(client, session, carer, make_candidate):
    from wagtail.models import Page

    from courses.models import ExamPage

    exam = Page.get_first_root_node().add_child(instance=ExamPage(title="护理员理论考试", slug="cert-theory"))
    session.theory_exam = exam
    session.theory_code = "ABC234"
    session.save()
    application = make_candidate(session, carer)
    client.force_login(carer.user)
    content = client.get(application.get_absolute_url()).content.decode()
    assert reverse("certification:theory_entry") in content
    assert "ABC234" not in content  # the invigilator shows the code at the start


def test_a_wrong_theory_code_is_refused_with_the_reason(client, carer):
    client.force_login(carer.user)
    response = client.post(reverse("certification:theory_entry"), {"code": "ZZZ999"})
    assert "No assessment session has this code." in response.content.decode()


def test_the_home_page_marks_a_session_already_applied_for(client, session, carer):
    client.force_login(carer.user)
    client.post(reverse("certification:apply", args=[session.public_id]), {"person": carer.pk})
    content = client.get(reverse("certification:home")).content.decode()
    assert "You have applied" in content and "Waiting for approval" in content


@pytest.mark.parametrize("upload, message", [
    (SimpleUploadedFile("me.png", png_declaring(15000, 12000)), "The photo declares far too many pixels to be a photo."),
    (SimpleUploadedFile("me.jpg", jpeg_declaring(15000, 12000)), "The photo declares far too many pixels to be a photo."),
    (SimpleUploadedFile("me.jpg", jpeg_declaring(6000, 4000)),
     "The photo is 6000 × 4000 pixels; at most 4000 × 4000 are accepted."),
    (SimpleUploadedFile("me.jpg", b"\xff\xd8\xff not really a photo"), "The photo could not be read as a JPG or PNG image."),
])
def test_a_photo_is_opened_and_measured_at_upload(client, session, carer, upload, message):
    """A 175 KB file can declare 15000 × 12000 pixels; it was stored and later stopped the session's
    certificates. Its header is read at upload, and it is refused there with a message."""
    client.force_login(carer.user)
    response = client.post(reverse("certification:apply", args=[session.public_id]), {"person": carer.pk, "photo": upload})
    assert message in response.content.decode()
    assert not Application.objects.exists()


def test_a_photo_cut_short_is_refused_and_nothing_is_kept(client, session, carer):
    """Its header reads as a photo; its pixels end half way. Decoding it, to keep it as printed, finds that."""
    client.force_login(carer.user)
    photo = SimpleUploadedFile("me.jpg", photo_bytes(size=(1200, 1600))[:600])
    apply_url = reverse("certification:apply", args=[session.public_id])
    response = client.post(apply_url, {"person": carer.pk, "photo": photo})
    assert "The photo could not be read as a JPG or PNG image." in response.content.decode()
    assert not Application.objects.exists()


def test_an_ordinary_photo_is_kept_as_it_is_printed(client, session, carer):
    """A phone's photo is cut and scaled to the certificate's photo once, at upload: every certificate printed
    from it then takes it as it is, and no more of the person's likeness is kept than is printed."""
    client.force_login(carer.user)
    photo = SimpleUploadedFile("me.png", photo_bytes(size=(3000, 3000), image_format="PNG"))
    client.post(reverse("certification:apply", args=[session.public_id]), {"person": carer.pk, "photo": photo})
    stored = Application.objects.get(person=carer).photo
    with stored.open("rb") as handle, Image.open(handle) as image:
        assert (image.format, image.mode, image.size) == ("JPEG", "RGB", PHOTO_PIXELS)
