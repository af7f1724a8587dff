from django.urls import path

from . import views, views_dashboards, views_reports

app_name = "analytics"

urlpatterns = [
    path("", views.coverage_home, name="home"),
    path("people/", views.people_list, name="people_list"),
    path("exports/new/", views.export_new, name="export_new"),
    path("exports/<uuid:pk>/", views.export_detail, name="export_detail"),
    path("exports/<uuid:pk>/status/", views.export_status, name="export_status"),
    path("exports/<uuid:pk>/download/", views.export_download, name="export_download"),
    path("exports/<uuid:pk>/retry/", views.export_retry, name="export_retry"),
    path("indicators/edit/", views_reports.indicator_values_edit, name="indicator_edit"),
    path("reports/", views_reports.report_list, name="report_list"),
    path("reports/<int:pk>/download/", views_reports.report_download, name="report_download"),
    path("reports/jobs/<uuid:pk>/retry/", views_reports.report_job_retry, name="report_job_retry"),
    path("dashboards/", views_dashboards.dashboard_index, name="dashboard_index"),
    path("dashboards/<slug:slug>.<str:fmt>", views_dashboards.dashboard_export, name="dashboard_export"),
    path("dashboards/<slug:slug>/", views_dashboards.dashboard_detail, name="dashboard"),
    path("<str:tier>/", views.coverage_region, name="coverage"),
    path("<str:tier>/<str:code>/", views.coverage_region, name="coverage_region"),
]
