from django.urls import path

from .views import exams, learner, lessons, plans, sessions, verify

app_name = "courses"

# The lesson heartbeat, also served through the lean path (academy/lean_urls.py): only the middleware it needs.
lean_urlpatterns = [
    path("lessons/<int:page_id>/heartbeat/", lessons.heartbeat, name="lesson_heartbeat"),
]

urlpatterns = [
    # The trainee's own learning (我的学习) and transcript.
    path("", learner.my_learning, name="my_learning"),
    path("transcript/", learner.transcript, name="transcript"),
    path("transcript.pdf", learner.transcript_pdf, name="transcript_pdf"),
    path("transcript.png", learner.transcript_image, name="transcript_image"),
    # Public: where a transcript's QR code leads.
    path("transcripts/verify/<str:token>/", verify.transcript_verify, name="transcript_verify"),
    # Lessons: server-checked heartbeats, attention checks and inline knowledge checks.
    path("lessons/<int:page_id>/", lessons.lesson, name="lesson"),
    *lean_urlpatterns,
    path("lessons/<int:page_id>/attention/", lessons.attention_answer, name="lesson_attention"),
    path("lessons/<int:page_id>/check/<str:block_id>/", lessons.knowledge_check, name="knowledge_check"),
    # Exams.
    path("exams/<int:page_id>/start/", exams.start_attempt, name="exam_start"),
    path("attempts/<int:pk>/", exams.take_attempt, name="attempt_take"),
    path("attempts/<int:pk>/save/", exams.save_answers, name="attempt_save"),
    path("attempts/<int:pk>/submit/", exams.submit_attempt, name="attempt_submit"),
    path("attempts/<int:pk>/result/", exams.attempt_result, name="attempt_result"),
    # Face-to-face sessions: organisers in their scope, trainees checking in.
    path("sessions/", sessions.session_list, name="session_list"),
    path("sessions/new/", sessions.session_create, name="session_create"),
    path("sessions/<uuid:public_id>/", sessions.session_detail, name="session_detail"),
    path("sessions/<uuid:public_id>/edit/", sessions.session_edit, name="session_edit"),
    path("sessions/<uuid:public_id>/enrol/", sessions.session_enrol, name="session_enrol"),
    path("sessions/<uuid:public_id>/attendance/", sessions.session_attendance, name="session_attendance"),
    path("sessions/<uuid:public_id>/check-in-code/", sessions.session_check_in_display, name="session_check_in_display"),
    path("sessions/<uuid:public_id>/qr.svg", sessions.session_qr, name="session_qr"),
    path("check-in/", sessions.check_in, name="check_in"),
    path("check-in/<uuid:public_id>/", sessions.check_in_by_qr, name="check_in_by_qr"),
    # Annual training plans: administrators of the organising region.
    path("plans/", plans.plan_list, name="plan_list"),
    path("plans/new/", plans.plan_create, name="plan_create"),
    path("plans/<int:pk>/", plans.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", plans.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/assign/", plans.plan_assign, name="plan_assign"),
    path("plans/assignments/<uuid:pk>/status/", plans.plan_assignment_status, name="plan_assignment_status"),
    path("plans/assignments/<uuid:pk>/retry/", plans.plan_assignment_retry, name="plan_assignment_retry"),
]
