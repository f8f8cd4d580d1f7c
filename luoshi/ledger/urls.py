from django.urls import path

from . import import_views, views

app_name = "ledger"
urlpatterns = [
    path("tasks/", views.task_list, name="task_list"),
    path("mine/", views.my_tasks, name="my_tasks"),
    path("tasks/<id:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<id:pk>/edit/", views.task_edit, name="task_edit"),
    path("tasks/<id:pk>/delete/", views.task_delete, name="task_delete"),
    path("tasks/<id:pk>/milestones/", views.milestone_add, name="milestone_add"),
    path("milestones/<id:pk>/", views.milestone_edit, name="milestone_edit"),
    path("assignments/<id:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("assignments/<id:pk>/reassign/", views.request_reassign, name="request_reassign"),
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/new/", views.plan_create, name="plan_create"),
    path("plans/<id:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<id:pk>/deploy/", views.plan_deploy, name="plan_deploy"),
    path("plans/<id:plan_pk>/tasks/new/", views.task_create, name="task_create"),
    path("export/", views.export, name="export"),
    path("export/jobs/<id:pk>/", views.export_job, name="export_job"),
    path("export/jobs/<id:pk>/download/", views.export_download, name="export_download"),
    path("import/", import_views.import_start, name="import_start"),
    path("import/<id:pk>/", import_views.import_preview, name="import_preview"),
    path("import/<id:pk>/confirm/", import_views.import_confirm, name="import_confirm"),
    path("import/<id:pk>/errors.xlsx", import_views.import_errors, name="import_errors"),
]
