from django.urls import path

from . import views

app_name = "assessment"
urlpatterns = [
    path("", views.assessment_list, name="list"),
    path("<id:pk>/", views.assessment_detail, name="detail"),
    path("<id:pk>/compute/", views.assessment_recompute, name="recompute"),
    path("<id:pk>/lock/", views.assessment_lock, name="lock"),
    path("<id:pk>/adjustments/", views.adjustment_add, name="adjustment_add"),
    path(
        "<id:pk>/adjustments/<id:item>/remove/",
        views.adjustment_remove,
        name="adjustment_remove",
    ),
    path("<id:pk>/units/<id:unit>/", views.unit_breakdown, name="unit"),
    path("plans/<id:plan>/scheme/", views.scheme_edit, name="scheme"),
]
