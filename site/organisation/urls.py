app_name = "organisation"
urlpatterns = []
