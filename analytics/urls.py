from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("", views.coverage_home, name="home"),
    path("people/", views.people_list, name="people_list"),
    path("exports/new/", views.export_new, name="export_new"),
    path("exports/<uuid:pk>/", views.export_detail, name="export_detail"),
    path("exports/<uuid:pk>/status/", views.export_status, name="export_status"),
    path("exports/<uuid:pk>/download/", views.export_download, name="export_download"),
    path("<str:tier>/", views.coverage_region, name="coverage"),
    path("<str:tier>/<str:code>/", views.coverage_region, name="coverage_region"),
]
