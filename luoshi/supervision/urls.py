from .views import closed_loop, due_process, integrity, lights, orders, problems

app_name = "supervision"
urlpatterns = [
    *lights.urlpatterns,
    *problems.urlpatterns,
    *orders.urlpatterns,
    *due_process.urlpatterns,
    *integrity.urlpatterns,
    *closed_loop.urlpatterns,
]
