from django.urls import path

from registrum.records import views

app_name = "records"
urlpatterns = [
    path("", views.register_list, name="list"),
    path("new/", views.register_new, name="new"),
    path("<int:pk>/", views.document_detail, name="detail"),
    path("<int:pk>/versions/", views.upload_version, name="upload"),
    path("<int:pk>/grants/", views.grant, name="grant"),
    path("<int:pk>/versions/<int:number>/download/", views.download_version, name="download"),
]
