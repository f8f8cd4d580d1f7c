from django.urls import path

from . import views

app_name = "consolidation"
urlpatterns = [
    path("", views.practice_list, name="list"),
    path("new/", views.practice_create, name="create"),
    path("<int:pk>/", views.practice_detail, name="detail"),
    path("<int:pk>/edit/", views.practice_edit, name="edit"),
    path("<int:pk>/documents/", views.document_add, name="document_add"),
    path("documents/<int:pk>/", views.document_download, name="document"),
    path("documents/<int:pk>/remove/", views.document_remove, name="document_remove"),
]
