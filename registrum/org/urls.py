from django.urls import path

from registrum.org import views

app_name = "org"
urlpatterns = [
    path("", views.organisation, name="organisation"),
    path("people/", views.people, name="people"),
    path("people/new/", views.person_new, name="person_new"),
    path("people/<str:username>/", views.person_detail, name="person"),
    path("people/<str:username>/edit/", views.person_edit, name="person_edit"),
    path("people/<str:username>/roles/", views.person_roles, name="person_roles"),
    path("people/<str:username>/clearance/", views.person_clearance, name="person_clearance"),
    path("people/<str:username>/status/", views.person_status, name="person_status"),
    path("people/<str:username>/password/", views.person_password, name="person_password"),
    path("clearance-requests/", views.requests_queue, name="requests"),
    path("clearance-requests/<int:request_id>/confirm/", views.request_confirm, name="request_confirm"),
    path("clearance-requests/<int:request_id>/reject/", views.request_reject, name="request_reject"),
    path("units/", views.units, name="units"),
    path("units/<str:code>/", views.unit_detail, name="unit"),
    path("registries/", views.registries, name="registries"),
    path("registries/<str:code>/", views.registry_detail, name="registry"),
]
