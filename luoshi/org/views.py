from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from luoshi.core.errors import OutOfScope, RuleViolation

from . import services
from .access import visible_people, visible_units
from .scope import scope_for


@login_required
def unit_list(request):
    units = visible_units(request.user).annotate(people_count=Count("people"))
    q = request.GET.get("q", "").strip()
    if q:
        units = units.filter(Q(name__icontains=q) | Q(short_name__icontains=q))
    page = Paginator(units.order_by("path"), 100).get_page(request.GET.get("page"))
    return render(request, "org/unit_list.html", {"page": page, "q": q})


@login_required
def unit_detail(request, pk):
    unit = visible_units(request.user).filter(pk=pk).select_related("parent").first()
    if unit is None:
        raise Http404
    people = visible_people(request.user).filter(unit=unit).prefetch_related("grants")
    children = visible_units(request.user).filter(parent=unit).order_by("path")
    return render(
        request,
        "org/unit_detail.html",
        {
            "unit": unit,
            "people": Paginator(people, 100).get_page(request.GET.get("page")),
            "children": children,
            "manages": scope_for(request.user).manages_unit(unit),
        },
    )


@login_required
def people_list(request):
    people = visible_people(request.user).select_related("unit").order_by("full_name", "id")
    q = request.GET.get("q", "").strip()
    if q:
        people = people.filter(Q(full_name__icontains=q) | Q(title__icontains=q))
    page = Paginator(people, 100).get_page(request.GET.get("page"))
    scope = scope_for(request.user)
    can_activate = scope.is_admin or bool(scope.manage or scope.supervise)
    return render(
        request, "org/people_list.html", {"page": page, "q": q, "can_activate": can_activate}
    )


# --- log-in paths for people who cannot log in yet (created by an import) -------------------


@login_required
@require_http_methods(["GET", "POST"])
def activation_list(request):
    """People of the units the user manages who cannot log in yet; POST issues activation links
    for those ticked (or every one on the page) and shows them as a printable list."""
    people = services.awaiting_activation(request.user).select_related("unit")
    q = request.GET.get("q", "").strip()
    if q:
        people = people.filter(Q(full_name__icontains=q) | Q(unit__name__icontains=q))
    people = people.order_by("unit__path", "full_name", "id")
    if request.method == "POST":
        ids = [int(i) for i in request.POST.getlist("person") if i.isdigit()][:500]
        chosen = list(people.filter(pk__in=ids))
        if not chosen:
            messages.error(request, _("Tick the people to give activation links to."))
            return redirect("org:activation_list")
        try:
            links = services.issue_activation_links(chosen, actor=request.user)
        except (RuleViolation, OutOfScope) as exc:
            messages.error(request, str(exc))
            return redirect("org:activation_list")
        rows = [
            {
                "person": p,
                "url": request.build_absolute_uri(
                    reverse("org:activate", kwargs={"uidb64": uid, "token": token})
                ),
            }
            for p, uid, token in links
        ]
        return render(
            request,
            "org/activation_links.html",
            {"rows": rows, "expires_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)},
        )
    page = Paginator(people, 100).get_page(request.GET.get("page"))
    return render(request, "org/activation_list.html", {"page": page, "q": q})


@require_http_methods(["GET", "POST"])
def activate(request, uidb64, token):
    """The page an activation link opens: set your password, once."""
    person = services.person_for_activation(uidb64, token)
    if person is None:
        return render(request, "org/activate.html", {"invalid": True}, status=410)
    form = SetPasswordForm(person, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.activate_account(uidb64, token, form.cleaned_data["new_password1"])
        except RuleViolation as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Your password is set. Log in with the name %(login)s.")
                % {"login": person.username},
            )
            return redirect("login")
    return render(request, "org/activate.html", {"form": form, "person": person})
