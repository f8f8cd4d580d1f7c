from django.urls import path

from . import views

app_name = "assessment"
urlpatterns = [
    path("", views.assessment_list, name="list"),
    path("<int:pk>/", views.assessment_detail, name="detail"),
    path("<int:pk>/compute/", views.assessment_recompute, name="recompute"),
    path("<int:pk>/lock/", views.assessment_lock, name="lock"),
    path("<int:pk>/adjustments/", views.adjustment_add, name="adjustment_add"),
    path(
        "<int:pk>/adjustments/<int:item>/remove/",
        views.adjustment_remove,
        name="adjustment_remove",
    ),
    path("<int:pk>/units/<int:unit>/", views.unit_breakdown, name="unit"),
    path("plans/<int:plan>/scheme/", views.scheme_edit, name="scheme"),
]
