from django.urls import path

from . import views

app_name = "rollup"
urlpatterns = [
    path("", views.rollup, name="rollup"),
    path("plans/<id:pk>/", views.plan_rollup, name="plan_rollup"),
]
