"""Issue 5 §6: an assessor scores candidates on a phone, the chief assessor signs the session off, an
administrator issues the certificates, and an anonymous visitor opens the QR link and sees the certificate
valid. Theory scores and the two other assessors' skill scores are entered through the services first; the
steps the issue names are done in Chromium through the pages."""
import pytest

from certification import scoring
from certification.models import Certificate, Outcome, Part
from tests.certification.conftest import (  # noqa: F401  (fixtures)
    assessor_factory, carer_factory, centre, institution_a, institution_b, make_candidate, province_admin, rule_set,
    scoring_session, session_factory, staff_factory,
)

from .helpers import console_problems, sign_in

PASSWORD = "correct-horse-battery"  # tests/factories.py UserFactory


@pytest.fixture
def session_to_score(site_home, scoring_session):
    """Both candidates' theory scores in; two of the three skill assessors have scored them."""
    setup = scoring_session
    for application in (setup.candidate_a, setup.candidate_b):
        scoring.theory_score_record(application=application, user=setup.staff.invigilators[0], value=82)
        for assessor in setup.staff.skill[:2]:
            items = {str(item.pk): item.points - 2 for item in setup.session.rule_set.rubric_items.filter(level=5)}
            scoring.score_record(application=application, part=Part.SKILL, user=assessor, items=items)
    return setup


def test_scoring_sign_off_issuing_and_public_verification(
    live_server, session_to_score, province_admin, browser, phone_page, desktop_page, screenshot
):
    setup = session_to_score
    session = setup.session
    assessor = setup.staff.skill[2]

    # The third assessor scores both candidates on a phone, item by item.
    page = phone_page
    problems = console_problems(page)
    sign_in(page, live_server.url, assessor.phone, PASSWORD)
    page.goto(f"{live_server.url}/certification/assess/{session.public_id}/")
    screenshot(page, "certification-assessor-candidates-phone")
    for _ in range(2):
        page.locator("a.score-next").click()
        inputs = page.locator("input.score-input")
        assert inputs.count() == 7  # the seven work areas of the level 5 rubric
        for index in range(inputs.count()):
            field = inputs.nth(index)
            field.fill(field.get_attribute("max"))
        assert page.locator("[data-score-total]").inner_text() == "100"
        screenshot(page, "certification-rubric-phone")
        with page.expect_navigation():
            page.locator("form.score-form button[type=submit]").click()
    assert page.locator("a.score-next").count() == 0
    assert problems == []
    scores = scoring.session_results(session)
    assert all(len(result.parts[1].scores) == 3 for result in scores)

    # The chief assessor signs off on a desktop.
    page = desktop_page
    sign_in(page, live_server.url, setup.chief.phone, PASSWORD)
    page.goto(f"{live_server.url}/certification/sessions/{session.public_id}/results/")
    confirm = page.locator("input[name=confirm]")
    if confirm.count():
        confirm.check()
    with page.expect_navigation():
        page.locator("form[action$='/sign-off/'] button[type=submit]").click()
    screenshot(page, "certification-results-signed-off")
    session.refresh_from_db()
    assert session.is_signed_off
    assert set(session.applications.values_list("outcome", flat=True)) == {Outcome.PASSED}

    # The province administrator issues the certificates (the job runs in process in tests).
    page.context.clear_cookies()
    province_admin.set_password(PASSWORD)
    province_admin.save()
    sign_in(page, live_server.url, province_admin.phone or province_admin.email, PASSWORD)
    page.goto(f"{live_server.url}/certification/sessions/{session.public_id}/")
    with page.expect_navigation():
        page.locator("form[action$='/issue/'] button[type=submit]").click()
    page.locator(".card-pass").wait_for(timeout=30000)  # the job is done
    screenshot(page, "certification-issue-job")
    certificates = list(Certificate.objects.filter(application__session=session))
    assert len(certificates) == 2 and all(certificate.pdf for certificate in certificates)

    # Anyone scanning the QR code: no account, a phone.
    visitor = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    anonymous = visitor.new_page()
    certificate = certificates[0]
    anonymous.goto(live_server.url + certificate.get_absolute_url())
    text = anonymous.locator("main").inner_text()
    assert "有效" in text and certificate.number in text
    assert certificate.holder_name not in text  # the name is partly masked
    assert "四级" not in text and "五级/初级工" in text
    screenshot(anonymous, "certification-verify-phone")
    visitor.close()
