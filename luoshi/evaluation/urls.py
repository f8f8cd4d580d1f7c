from .views import urlpatterns

app_name = "evaluation"

__all__ = ["app_name", "urlpatterns"]
