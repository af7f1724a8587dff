from django.urls import path

from .views import applications, certificates, rules, scoring, sessions, verify

app_name = "certification"

urlpatterns = [
    # Public verification: no sign-in.
    path("verify/", verify.verify_search, name="verify_search"),
    path("verify/upload/", verify.verify_upload, name="verify_upload"),
    path("verify/<uuid:public_id>/", verify.verify_certificate, name="verify_certificate"),
    # Carers and their institution heads: applications.
    path("certification/", applications.my_certification, name="home"),
    path("certification/apply/<uuid:session_id>/", applications.application_create, name="apply"),
    path("certification/applications/<uuid:public_id>/", applications.application_detail, name="application_detail"),
    path("certification/theory/", scoring.theory_entry, name="theory_entry"),
    # The rules, version by version.
    path("certification/rules/", rules.rules_list, name="rules_list"),
    path("certification/rules/<int:version>/", rules.rules_detail, name="rules_detail"),
    path("certification/rules/<int:version>/draft/", rules.rules_draft, name="rules_draft"),
    path("certification/rules/<int:version>/publish/", rules.rules_publish, name="rules_publish"),
    # Administrators: sessions, approvals, staff.
    path("certification/sessions/", sessions.session_list, name="session_list"),
    path("certification/sessions/new/", sessions.session_create, name="session_create"),
    path("certification/sessions/<uuid:public_id>/", sessions.session_detail, name="session_detail"),
    path("certification/sessions/<uuid:public_id>/edit/", sessions.session_edit, name="session_edit"),
    path("certification/sessions/<uuid:public_id>/staff/", sessions.session_staff, name="session_staff"),
    path("certification/sessions/<uuid:public_id>/open-scoring/", sessions.session_open_scoring, name="session_open_scoring"),
    path("certification/applications/<uuid:public_id>/decide/", sessions.application_decide, name="application_decide"),
    # Assessors: scoring on a phone; the chief's results, sign-off and amendments.
    path("certification/assess/", scoring.assessor_home, name="assessor_home"),
    path("certification/assess/<uuid:public_id>/", scoring.assessor_session, name="assessor_session"),
    path("certification/assess/<uuid:public_id>/<uuid:application_id>/<str:part>/", scoring.score_candidate, name="score_candidate"),
    path("certification/sessions/<uuid:public_id>/results/", scoring.session_results, name="session_results"),
    path("certification/sessions/<uuid:public_id>/sign-off/", scoring.session_sign_off, name="session_sign_off"),
    path("certification/applications/<uuid:public_id>/amend/", scoring.result_amend, name="result_amend"),
    path("certification/sessions/<uuid:public_id>/audit/", scoring.audit_log, name="audit_log"),
    path("certification/amendments/<int:pk>/decide/", scoring.amendment_decide, name="amendment_decide"),
    # Certificates.
    path("certification/sessions/<uuid:public_id>/issue/", certificates.issue_start, name="issue_start"),
    path("certification/issue-jobs/<uuid:pk>/", certificates.issue_job, name="issue_job"),
    path("certification/issue-jobs/<uuid:pk>/retry/", certificates.issue_job_retry, name="issue_job_retry"),
    path("certification/certificates/<uuid:public_id>/pdf/", certificates.certificate_pdf, name="certificate_pdf"),
    path("certification/certificates/<uuid:public_id>/png/", certificates.certificate_image, name="certificate_image"),
    path("certification/certificates/<uuid:public_id>/revoke/", certificates.certificate_revoke, name="certificate_revoke"),
]
