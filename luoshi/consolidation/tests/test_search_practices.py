"""Searching the library in Chinese finds a practice by a word inside its text, on whichever
database runs the suite (SQLite: LIKE; PostgreSQL: LIKE served by a pg_trgm index)."""

import pytest
from django.db import connection

from luoshi.consolidation import access, services


def _titles(person, **filters):
    return [p.title for p in services.search(access.practices_for(person), **filters)]


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("网格", "推行网格化管理"),  # 2 characters inside the title
        ("当天处置", "推行网格化管理"),  # 4 characters inside what was done
        ("办结率", "推行网格化管理"),  # inside the result
        ("营商环境", "营商环境投诉闭环机制"),
        ("一校一策", "中小学校建设一校一策"),
    ],
)
def test_a_chinese_word_inside_the_text_is_found(orgtree, world, q, found):
    assert _titles(orgtree.reporter_a, q=q) == [found], connection.vendor


def test_a_word_not_in_the_library_finds_nothing(orgtree, world):
    assert _titles(orgtree.reporter_a, q="高速公路") == []


def test_several_words_must_all_be_found(orgtree, world):
    assert _titles(orgtree.reporter_a, q="网格 办结") == ["推行网格化管理"]
    assert _titles(orgtree.reporter_a, q="网格 学校") == []


def test_tag_unit_and_kind_filters(orgtree, world):
    assert _titles(orgtree.reporter_a, tag="网格化") == ["推行网格化管理"]
    # A unit with its subtree: 甲局 covers 甲局一处.
    assert sorted(_titles(orgtree.reporter_a, unit=orgtree.a)) == sorted(
        ["营商环境投诉闭环机制", "中小学校建设一校一策"]
    )
    assert _titles(orgtree.reporter_a, unit=orgtree.a1) == ["营商环境投诉闭环机制"]
    assert _titles(orgtree.reporter_a, q="网格", unit=orgtree.a) == []
    assert _titles(orgtree.reporter_a, kind="mechanism") == ["营商环境投诉闭环机制"]


def test_a_renamed_tag_set_is_searched_after_an_edit(orgtree, world):
    p = world.mechanism
    services.update_practice(p, actor=orgtree.supervisor, version=p.version, tags=["一网通办"])
    assert _titles(orgtree.reporter_a, q="一网通办") == ["营商环境投诉闭环机制"]
    assert _titles(orgtree.reporter_a, tag="营商环境") == []


def test_anonymous_reads_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert _titles(AnonymousUser(), q="网格") == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram index is PostgreSQL's")
def test_postgresql_serves_the_search_from_the_trigram_index(orgtree, world):
    from luoshi.consolidation.models import Practice

    with connection.cursor() as cur:
        cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'cons_practice_search_trgm'")
        assert "gin_trgm_ops" in cur.fetchone()[0]
        cur.execute("SET LOCAL enable_seqscan = off")
    plan = Practice.objects.filter(search_text__contains="网格化管理").explain()
    assert "cons_practice_search_trgm" in plan, plan
