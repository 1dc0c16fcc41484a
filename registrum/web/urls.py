from django.urls import path

from registrum.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("levels.css", views.levels_css, name="levels_css"),
]
