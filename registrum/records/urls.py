from django.urls import path

from registrum.records import views

# Documents and registrations are addressed by opaque random ids, never by a sequential
# integer that would let a reader count what they cannot see.
app_name = "records"
urlpatterns = [
    path("", views.register_list, name="list"),
    path("export.csv", views.register_export, name="export"),
    path("new/", views.register_new, name="new"),
    path("receive/", views.register_receipt, name="receive"),
    path("d/<slug:public_id>/", views.document_detail, name="detail"),
    path("d/<slug:public_id>/versions/", views.upload_version, name="upload"),
    path("d/<slug:public_id>/grants/", views.grant, name="grant"),
    path("d/<slug:public_id>/grants/revoke/", views.revoke, name="revoke"),
    path("d/<slug:public_id>/versions/<int:number>/download/", views.download_version, name="download"),
    path("r/<slug:public_id>/correct/", views.correct, name="correct"),
    path("r/<slug:public_id>/void/", views.void, name="void"),
]
