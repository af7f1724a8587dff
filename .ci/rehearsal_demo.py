"""The demo made ready for the rehearsal's smoke test (manage.py shell < .ci/rehearsal_demo.py, after load_demo).

- The demo carer has finished the first lesson of their course, so that the second, the video lesson, is open:
  studying the first through heartbeats would take its full required time.
- The signed-off session's certificates, which load_demo issued in process, are deleted with their files: the
  smoke test issues them again, through the worker.
"""
from django.utils import timezone

from academy.accounts.models import User
from academy.demo.certification import SIGNED_OFF_TITLE
from certification.models import Certificate
from courses.models import CoursePage, LessonPage, LessonProgress
from courses.years import training_year

carer = User.objects.get(phone="13800000004").person
course = CoursePage.objects.get(slug="carer-daily-care-and-rehabilitation")
first_lesson = LessonPage.objects.live().child_of(course).order_by("path").first()
LessonProgress.objects.update_or_create(
    person=carer, lesson=first_lesson, year=training_year(),
    defaults={"completed_at": timezone.now(), "study_seconds": 3600},
)
for certificate in Certificate.objects.filter(application__session__title=SIGNED_OFF_TITLE):
    certificate.pdf.delete(save=False)
    certificate.delete()
