from django.urls import path

from . import views

app_name = "bulletins"
urlpatterns = [
    path("", views.bulletin_list, name="list"),
    path("<int:pk>/", views.bulletin_detail, name="detail"),
    path("<int:pk>/edit/", views.bulletin_edit, name="edit"),
    path("<int:pk>/approve/", views.bulletin_approve, name="approve"),
    path("<int:pk>/publish/", views.bulletin_publish, name="publish"),
    path("<int:pk>/correct/", views.bulletin_correct, name="correct"),
    path("<int:pk>/bulletin.docx", views.bulletin_docx, name="docx"),
    path("<int:pk>/bulletin.pdf", views.bulletin_pdf, name="pdf"),
    # Without log-in: published bulletins only.
    path("public/", views.public_list, name="public_list"),
    path("public/<int:pk>/", views.public_detail, name="public_detail"),
    path("public/<int:pk>/bulletin.docx", views.public_docx, name="public_docx"),
    path("public/<int:pk>/bulletin.pdf", views.public_pdf, name="public_pdf"),
]
