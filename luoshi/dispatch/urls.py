from django.urls import path

from . import views

app_name = "dispatch"
urlpatterns = [
    path("", views.my_reports, name="my_reports"),
    path("slots/<id:pk>/", views.report_form, name="report"),
    path("slots/<id:pk>/review/", views.review, name="review"),
    path("slots/<id:pk>/attach/", views.attach, name="attach"),
    path("attachments/<id:pk>/", views.attachment, name="attachment"),
    path("cycles/", views.cycle_list, name="cycle_list"),
    path("cycles/<id:pk>/", views.cycle_detail, name="cycle_detail"),
]
