from django.urls import path

from . import views

app_name = "bulletins"
urlpatterns = [
    path("", views.bulletin_list, name="list"),
    path("<id:pk>/", views.bulletin_detail, name="detail"),
    path("<id:pk>/edit/", views.bulletin_edit, name="edit"),
    path("<id:pk>/approve/", views.bulletin_approve, name="approve"),
    path("<id:pk>/publish/", views.bulletin_publish, name="publish"),
    path("<id:pk>/correct/", views.bulletin_correct, name="correct"),
    path("<id:pk>/bulletin.docx", views.bulletin_docx, name="docx"),
    path("<id:pk>/bulletin.pdf", views.bulletin_pdf, name="pdf"),
    # Without log-in: published bulletins only.
    path("public/", views.public_list, name="public_list"),
    path("public/<id:pk>/", views.public_detail, name="public_detail"),
    path("public/<id:pk>/bulletin.docx", views.public_docx, name="public_docx"),
    path("public/<id:pk>/bulletin.pdf", views.public_pdf, name="public_pdf"),
]
