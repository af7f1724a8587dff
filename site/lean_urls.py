"""The addresses served through the lean path (settings.LEAN_URLCONF, academy.middleware.LeanPathMiddleware):
the same views at the same addresses as in academy.urls, with only the middleware they need."""
from django.urls import include, path

from courses.urls import lean_urlpatterns

urlpatterns = [path("learn/", include((lean_urlpatterns, "courses")))]
