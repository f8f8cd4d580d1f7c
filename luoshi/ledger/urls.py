from django.urls import path

from . import import_views, views

app_name = "ledger"
urlpatterns = [
    path("tasks/", views.task_list, name="task_list"),
    path("mine/", views.my_tasks, name="my_tasks"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("tasks/<int:pk>/delete/", views.task_delete, name="task_delete"),
    path("tasks/<int:pk>/milestones/", views.milestone_add, name="milestone_add"),
    path("milestones/<int:pk>/", views.milestone_edit, name="milestone_edit"),
    path("assignments/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("assignments/<int:pk>/reassign/", views.request_reassign, name="request_reassign"),
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/new/", views.plan_create, name="plan_create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/deploy/", views.plan_deploy, name="plan_deploy"),
    path("plans/<int:plan_pk>/tasks/new/", views.task_create, name="task_create"),
    path("export/", views.export, name="export"),
    path("export/jobs/<int:pk>/", views.export_job, name="export_job"),
    path("export/jobs/<int:pk>/download/", views.export_download, name="export_download"),
    path("import/", import_views.import_start, name="import_start"),
    path("import/<int:pk>/", import_views.import_preview, name="import_preview"),
    path("import/<int:pk>/confirm/", import_views.import_confirm, name="import_confirm"),
    path("import/<int:pk>/errors.xlsx", import_views.import_errors, name="import_errors"),
]
