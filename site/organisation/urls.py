from django.urls import path

from .views import audit, imports, institutions, people, regions

app_name = "organisation"

urlpatterns = [
    path("people/", people.person_list, name="person_list"),
    path("people/export.<str:file_format>", people.person_export, name="person_export"),
    path("people/<int:pk>/", people.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", people.person_edit, name="person_edit"),
    path("people/<int:pk>/posts/add/", people.post_add, name="post_add"),
    path("posts/<int:pk>/close/", people.post_close, name="post_close"),
    path("institutions/", institutions.institution_list, name="institution_list"),
    path("institutions/add/", institutions.institution_add, name="institution_add"),
    path("institutions/<int:pk>/", institutions.institution_detail, name="institution_detail"),
    path("institutions/<int:pk>/edit/", institutions.institution_edit, name="institution_edit"),
    path("regions/", regions.region_list, name="region_list"),
    path("regions/<str:code>/", regions.region_detail, name="region_detail"),
    path("regions/<str:code>/edit/", regions.region_edit, name="region_edit"),
    path("regions/<str:code>/villages/add/", regions.village_add, name="village_add"),
    path("imports/", imports.import_list, name="import_list"),
    path("imports/new/", imports.import_new, name="import_new"),
    path("imports/template.<str:file_format>", imports.import_template, name="import_template"),
    path("imports/<uuid:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<uuid:pk>/status/", imports.import_status, name="import_status"),
    path("imports/<uuid:pk>/confirm/", imports.import_confirm, name="import_confirm"),
    path("imports/<uuid:pk>/retry/", imports.import_retry, name="import_retry"),
    path("audit/", audit.audit_list, name="audit_list"),
    path("audit/export.<str:file_format>", audit.audit_export, name="audit_export"),
]
