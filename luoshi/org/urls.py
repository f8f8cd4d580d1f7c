from django.urls import path

from . import views

app_name = "org"
urlpatterns = [
    path("units/", views.unit_list, name="unit_list"),
    path("units/<id:pk>/", views.unit_detail, name="unit_detail"),
    path("people/", views.people_list, name="people_list"),
    path("people/activation/", views.activation_list, name="activation_list"),
    path("activate/<uidb64>/<token>/", views.activate, name="activate"),
]
