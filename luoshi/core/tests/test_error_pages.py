"""Error pages in the site's own layout, in Chinese, with a way back (issue #8): 400, 403 (and
the expired-form 403 of CSRF), 404 and 500."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views import defaults


@pytest.fixture
def zh():
    with translation.override("zh-hans"):
        yield


def _ways_back(html: str) -> None:
    assert "返回工作台" in html and 'href="/"' in html
    assert "返回上一页" in html


def test_404_in_the_site_layout(orgtree, client):
    client.force_login(orgtree.reporter_a)
    resp = client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert resp.status_code == 404
    html = resp.content.decode()
    assert "页面不存在" in html
    assert 'class="navbar' in html and reverse("notify:inbox") in html  # the site's own menu
    _ways_back(html)


def test_404_of_an_object_out_of_scope_reads_the_same(orgtree, client):
    """A task of another unit answers 404 (scope does not say it exists) with the same page."""
    client.force_login(orgtree.reporter_a)
    resp = client.get(reverse("ledger:task_detail", args=[999999]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert resp.status_code == 404
    assert "页面不存在" in resp.content.decode()


def test_403_says_why_and_offers_a_way_back(orgtree, zh):
    request = RequestFactory().get("/somewhere/")
    request.user = orgtree.reporter_a
    resp = defaults.permission_denied(request, PermissionDenied("只有督查人员可以签发督办单。"))
    html = resp.content.decode()
    assert resp.status_code == 403
    assert "无权操作" in html and "只有督查人员可以签发督办单。" in html
    _ways_back(html)


def test_500_stands_alone_and_says_nothing_was_saved(zh):
    """The 500 page renders without a request context (Django gives it none)."""
    resp = defaults.server_error(RequestFactory().get("/"))
    html = resp.content.decode()
    assert resp.status_code == 500
    assert "系统出错了" in html and "未保存任何内容" in html
    _ways_back(html)


def test_400_stands_alone(zh):
    resp = defaults.bad_request(RequestFactory().get("/"), Exception("bad"))
    html = resp.content.decode()
    assert resp.status_code == 400 and "请求有误" in html
    _ways_back(html)


def test_an_expired_form_says_so_in_chinese(orgtree, db):
    client = Client(enforce_csrf_checks=True)
    resp = client.post(
        reverse("login"),
        {"username": "x", "password": "y"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert resp.status_code == 403
    html = resp.content.decode()
    assert "页面已过期" in html and "未保存任何内容" in html
    _ways_back(html)
