"""Supervision's pages, one module per record kind. Each module lists its own `urlpatterns`
(joined in ../urls.py) and may offer `task_panel(request, task)` / `report_panel(request, slot)`
for the ledger's task page and dispatch's report page (registered in apps.py)."""
