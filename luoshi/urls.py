from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from luoshi.core.views import health

urlpatterns = [
    path("", include("luoshi.desk.urls")),
    path("", include("luoshi.ledger.urls")),
    path("org/", include("luoshi.org.urls")),
    path("reports/", include("luoshi.dispatch.urls")),
    path("inbox/", include("luoshi.notify.urls")),
    path("supervision/", include("luoshi.supervision.urls")),
    path("rollup/", include("luoshi.rollup.urls")),
    path("assessment/", include("luoshi.assessment.urls")),
    path("bulletins/", include("luoshi.bulletins.urls")),
    path("cockpit/", include("luoshi.cockpit.urls")),
    path("evaluation/", include("luoshi.evaluation.urls")),
    path("consolidation/", include("luoshi.consolidation.urls")),
    path("api/", include("luoshi.api_urls")),
    path("health/", health, name="health"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
]
