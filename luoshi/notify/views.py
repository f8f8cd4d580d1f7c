"""The in-app inbox. Thin: reads through access, changes through services."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import access, services
from .models import Message

PAGE_SIZE = 30


@login_required
def inbox(request):
    page = Paginator(access.inbox_messages(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    unread = access.unread_count(request.user)
    # Passing the badge's count too spares the context processor its own query.
    return render(
        request, "notify/inbox.html", {"page": page, "unread": unread, "inbox_unread": unread}
    )


@login_required
@require_POST
def mark_read(request, pk):
    try:
        services.mark_read(pk, actor=request.user)
    except Message.DoesNotExist:
        raise Http404 from None
    target = request.POST.get("next", "")
    # "Open" posts the message's link as next; only ever follow it within this site.
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notify:inbox")


@login_required
@require_POST
def mark_all_read(request):
    services.mark_all_read(actor=request.user)
    return redirect("notify:inbox")
