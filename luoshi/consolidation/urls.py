from django.urls import path

from . import views

app_name = "consolidation"
urlpatterns = [
    path("", views.practice_list, name="list"),
    path("new/", views.practice_create, name="create"),
    path("<id:pk>/", views.practice_detail, name="detail"),
    path("<id:pk>/edit/", views.practice_edit, name="edit"),
    path("<id:pk>/documents/", views.document_add, name="document_add"),
    path("documents/<id:pk>/", views.document_download, name="document"),
    path("documents/<id:pk>/remove/", views.document_remove, name="document_remove"),
]
