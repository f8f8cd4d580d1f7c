from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.routers import DefaultRouter

from luoshi.assessment import api as assessment_api
from luoshi.bulletins import api as bulletins_api
from luoshi.cockpit import api as cockpit_api
from luoshi.consolidation import api as consolidation_api
from luoshi.core.ids import ID_REGEX
from luoshi.dispatch import api as dispatch_api
from luoshi.evaluation import api as evaluation_api
from luoshi.ledger import api as ledger_api
from luoshi.org import api as org_api
from luoshi.org.tokens import ObtainToken
from luoshi.rollup import api as rollup_api
from luoshi.supervision import api as supervision_api

# No format-suffix routes (/api/tasks/1/history.json/): the API speaks JSON only, and the
# suffix would reach every extra action as an unexpected `format` argument.


class Router(DefaultRouter):
    include_format_suffixes = False

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        # Every lookup is a row id: at most 18 digits, so /api/tasks/<a 30-digit number>/ is a
        # 404 like any other missing row, not a number the database refuses.
        if not hasattr(viewset, "lookup_value_regex"):
            viewset.lookup_value_regex = ID_REGEX
        return super().get_lookup_regex(viewset, lookup_prefix)


router = Router()
router.register("units", org_api.UnitViewSet, basename="unit")
router.register("people", org_api.PersonViewSet, basename="person")
router.register("plans", ledger_api.PlanViewSet, basename="plan")
router.register("categories", ledger_api.CategoryViewSet, basename="category")
router.register("tasks", ledger_api.TaskViewSet, basename="task")
router.register("milestones", ledger_api.MilestoneViewSet, basename="milestone")
router.register("assignments", ledger_api.AssignmentViewSet, basename="assignment")
router.register("slots", dispatch_api.SlotViewSet, basename="slot")
router.register("reports", dispatch_api.ReportViewSet, basename="report")
supervision_api.register(router)
assessment_api.register(router)
bulletins_api.register(router)
cockpit_api.register(router)
evaluation_api.register(router)
consolidation_api.register(router)

urlpatterns = [
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    path("token/", ObtainToken.as_view(), name="token"),
    *supervision_api.urlpatterns,
    *rollup_api.urlpatterns,
    *bulletins_api.urlpatterns,
    *cockpit_api.urlpatterns,
    path("", include(router.urls)),
]
