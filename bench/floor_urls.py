"""The heartbeat's floor (bench/heartbeat_load.py): a plain Django view behind the platform's whole middleware
(settings.MIDDLEWARE) that does what any signed-in write of one row must do: a session look-up, then
SELECT … FOR UPDATE and UPDATE of the trainee's progress row in one transaction. Nothing of the rules."""
from django.contrib.auth import SESSION_KEY
from django.db import transaction
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.http import require_POST

from academy.urls import urlpatterns as site_urlpatterns
from courses.models import LessonProgress


@require_POST
def floor(request, lesson_id):
    user_id = request.session.get(SESSION_KEY)
    if user_id is None:
        return JsonResponse({"error": "signed out"}, status=401)
    with transaction.atomic():
        row = (
            LessonProgress.objects.select_for_update(of=("self",)).only("id", "last_sequence")
            .get(person__user__id=user_id, lesson_id=lesson_id)
        )
        row.last_sequence += 1
        row.save(update_fields=["last_sequence"])
    return JsonResponse({"accepted": True, "sequence": row.last_sequence})


urlpatterns = [path("bench/floor/<int:lesson_id>/", floor, name="bench_floor"), *site_urlpatterns]
