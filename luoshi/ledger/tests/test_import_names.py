"""The pure rules for names in a ledger (luoshi.ledger.importer.names): collective names, near
matches and where a new unit goes. No database."""

import pytest

from luoshi.ledger.importer.names import (
    Collective,
    UnitRow,
    collective,
    members_of,
    placement,
    score,
    suggest,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("各区县交通运输局", Collective("district_units", "交通运输局")),
        ("各区（县）交通运输局", Collective("district_units", "交通运输局")),
        ("各县（市、区）交通运输局", Collective("district_units", "交通运输局")),
        ("各区县政府", Collective("districts")),
        ("各县（市、区）", Collective("districts")),
        ("各县(市、区)", Collective("districts")),
        ("各区县", Collective("districts")),
        ("各县市区", Collective("districts")),
        ("各乡镇（街道）", Collective("towns")),
        ("各乡镇", Collective("towns")),
        ("各镇街", Collective("towns")),
        ("各街道", Collective("towns")),
        ("各成员单位", Collective("children")),
        ("各部门", Collective("children")),
        ("各有关部门", Collective("children")),
        ("各相关单位", Collective("children")),
        ("市直有关部门", Collective("children")),
        ("领导小组成员单位", Collective("children")),
        ("各中小学", Collective("schools")),
        # one unit each
        ("市交通运输局", None),
        ("章丘区交通运输局", None),
        ("各", None),
        ("区县交通运输局", None),
        ("市各部门协调办", None),
    ],
)
def test_collective_names(name, expected):
    assert collective(name) == expected


CITY = UnitRow(1, "济南市", kind="city", path="00001.")
BUREAU = UnitRow(
    2, "市交通运输局", "交通局", kind="bureau", path="00001.00001.", parent_kind="city"
)
EDU = UnitRow(3, "市教育局", kind="bureau", path="00001.00002.", parent_kind="city")
LICHENG = UnitRow(4, "历城区", kind="district", path="00001.00003.", parent_kind="city")
ZHANGQIU = UnitRow(5, "章丘区", kind="district", path="00001.00004.", parent_kind="city")
LC_BUREAU = UnitRow(
    6, "历城区交通运输局", kind="bureau", path="00001.00003.00001.", parent_kind="district"
)
ZQ_BUREAU = UnitRow(
    7, "章丘区交通运输局", kind="bureau", path="00001.00004.00001.", parent_kind="district"
)
ZQ_EDU = UnitRow(
    8, "章丘区教育局", kind="bureau", path="00001.00004.00002.", parent_kind="district"
)
TOWN = UnitRow(9, "明水街道", kind="town", path="00001.00004.00003.", parent_kind="district")
DIVISION = UnitRow(
    10, "综合规划处", kind="division", path="00001.00001.00001.", parent_kind="bureau"
)
TREE = [CITY, BUREAU, EDU, LICHENG, ZHANGQIU, LC_BUREAU, ZQ_BUREAU, ZQ_EDU, TOWN, DIVISION]


@pytest.mark.parametrize(
    ("name", "owner", "expected"),
    [
        ("各区县交通运输局", BUREAU, [LC_BUREAU, ZQ_BUREAU]),
        ("各区县教育局", EDU, [ZQ_EDU]),
        ("各县（市、区）", BUREAU, [LICHENG, ZHANGQIU]),
        ("各乡镇（街道）", BUREAU, [TOWN]),
        ("各乡镇（街道）", ZHANGQIU, [TOWN]),
        ("各成员单位", CITY, [BUREAU, EDU, LICHENG, ZHANGQIU]),
        ("各部门", BUREAU, [DIVISION]),
        ("各区县卫生健康局", BUREAU, []),
        ("各中小学", BUREAU, []),
    ],
)
def test_members_of_a_collective_name(name, owner, expected):
    assert members_of(collective(name), TREE, owner.path) == expected


@pytest.mark.parametrize(
    ("name", "best"),
    [
        ("交通局", BUREAU),
        ("市交通局", BUREAU),
        ("交通运输局", BUREAU),
        ("市交通运输局 ", BUREAU),
        ("教育局", EDU),
        ("章丘交通局", ZQ_BUREAU),
        ("章丘区交通局", ZQ_BUREAU),
        ("历城交通运输局", LC_BUREAU),
        ("综合规划处", DIVISION),
        ("规划处", DIVISION),
    ],
)
def test_suggestions_put_the_near_match_first(name, best):
    found = suggest(name, TREE)
    assert found and found[0][0] == best, found


@pytest.mark.parametrize("name", ["市公安局", "农业农村局", "张三", "历城区公路中心"])
def test_no_suggestion_for_an_unrelated_name(name):
    assert [u.name for u, _ in suggest(name, TREE) if u.kind == "bureau"] == []


@pytest.mark.parametrize(
    ("a", "b", "at_least", "below"),
    [
        ("交通局", "市交通运输局", 0.9, 1.01),
        ("住建局", "市住房和城乡建设局", 0.9, 1.01),
        ("章丘区交通运输局", "历城区交通运输局", 0.0, 0.6),
        ("市交通运输局", "市交通运输局", 1.0, 1.01),
    ],
)
def test_score(a, b, at_least, below):
    assert at_least <= score(a, b) < below


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("章丘区交通运输局", ZHANGQIU),
        ("章丘区公路事业发展中心", ZHANGQIU),
        ("历城区交通运输局", LICHENG),
        ("市交通运输局行政审批处", BUREAU),
        ("市公路事业发展中心", CITY),  # the default: the owner
        ("济南市公交集团", CITY),
    ],
)
def test_placement_under_the_unit_the_name_starts_with(name, expected):
    tree = [u for u in TREE if u not in (LC_BUREAU, ZQ_BUREAU)]
    assert placement(name, tree, CITY) == expected


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("章丘区", "district"),
        ("平阴县", "district"),
        ("明水街道", "town"),
        ("官庄镇", "town"),
        ("章丘区交通运输局", "bureau"),
        ("市公路事业发展中心", "bureau"),
        ("市交通运输执法支队", "bureau"),
        ("市交通运输局行政审批处", "division"),
        ("市公共交通集团", "company"),
        ("济南第一中学", "school"),
        ("某某", "other"),
    ],
)
def test_guess_kind(name, kind):
    from luoshi.ledger.importer.names import guess_kind

    assert guess_kind(name) == kind
