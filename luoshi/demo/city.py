"""A fictional city: about 120 units and people in every role."""

from __future__ import annotations

import random

from luoshi.org import services as org
from luoshi.org.models import Role, Unit, UnitKind

CITY = "济川市人民政府"
SUPERVISION_OFFICE = "市政府督查室"
TRANSPORT = "市交通运输局"
TRANSPORT_UNITS = [
    "市交通运输局办公室",
    "市交通运输局规划处",
    "市交通运输局建设管理处",
    "市交通运输局行政审批处",
    "市公路事业发展中心",
    "市公共交通集团",
    "市城乡交通运输发展中心",
    "市交通运输执法支队",
]
BUREAUS = {
    "市发展和改革委员会": ["重点项目管理处", "经济运行处"],
    "市教育局": ["基础教育处", "学前教育处"],
    "市住房和城乡建设局": ["城市建设处", "房地产市场处"],
    "市自然资源和规划局": ["国土空间规划处", "耕地保护处"],
    "市生态环境局": ["大气环境处", "水生态环境处"],
    "市卫生健康委员会": ["医政处", "疾病预防控制处"],
    "市农业农村局": ["乡村产业处", "农田建设处"],
    "市商务局": ["外贸处", "消费促进处"],
    "市文化和旅游局": ["文物处", "旅游发展处"],
    "市财政局": ["预算处", "国库处"],
}
DISTRICTS = ["东城区", "西湖区", "南山区", "北岭区", "清河县", "青山县"]
TOWN_SUFFIX = ["街道", "镇", "镇"]
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏"
)
GIVEN = (
    "建国红梅志强磊敏涛晨洁伟芳娜静丽强军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰飞鹏宇浩然晓东文博思远"
)

DEMO_PASSWORD = "luoshi-demo-2026"
LOGINS = [  # username, name, title, unit, role
    ("admin", "系统管理员", "管理员", CITY, Role.ADMIN),
    # The supervision office supervises the whole city: its role is granted over the city.
    ("supervisor", "周督查", "督查室主任", SUPERVISION_OFFICE, Role.SUPERVISOR),
    ("leader", "张建国", "副局长", TRANSPORT, Role.LEADER),
    ("unitadmin", "钱管理", "办公室主任", "市公路事业发展中心", Role.UNIT_ADMIN),
    ("reporter", "王磊", "科员", "市公路事业发展中心", Role.REPORTER),
]


RESERVED = {
    "王磊",
    "赵敏",
    "孙涛",
    "陈晨",
    "周洁",
    "张建国",
    "李红梅",
    "刘志强",
    "周督查",
    "钱管理",
}


def _name(rng: random.Random) -> str:
    """A random name that never collides with the names the demo ledgers mention."""
    while True:
        name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
        if name not in RESERVED:
            return name


def build_city(rng: random.Random, *, actor) -> dict[str, Unit]:
    """Create the unit tree and people; returns units by name."""
    city = org.create_unit(CITY, None, actor=actor, kind=UnitKind.CITY)
    specs = [
        {"name": SUPERVISION_OFFICE, "parent": city, "kind": UnitKind.DIVISION},
        {"name": TRANSPORT, "parent": city, "kind": UnitKind.BUREAU},
    ]
    specs += [{"name": b, "parent": city, "kind": UnitKind.BUREAU} for b in BUREAUS]
    specs += [{"name": d, "parent": city, "kind": UnitKind.DISTRICT} for d in DISTRICTS]
    level1 = {u.name: u for u in org.create_units(specs, actor=actor)}
    specs = [
        {"name": n, "parent": level1[TRANSPORT], "kind": UnitKind.DIVISION} for n in TRANSPORT_UNITS
    ]
    for bureau, divisions in BUREAUS.items():
        specs += [
            {
                "name": f"{bureau}{d}" if not d.startswith("市") else d,
                "short_name": d,
                "parent": level1[bureau],
                "kind": UnitKind.DIVISION,
            }
            for d in divisions
        ]
    for d in DISTRICTS:
        specs.append({"name": f"{d}交通运输局", "parent": level1[d], "kind": UnitKind.BUREAU})
        for i, suffix in enumerate(TOWN_SUFFIX):
            specs.append(
                {
                    "name": f"{d}{'东西南北中'[i]}{'关' if suffix == '街道' else '河'}{suffix}",
                    "parent": level1[d],
                    "kind": UnitKind.TOWN,
                }
            )
    level2 = {u.name: u for u in org.create_units(specs, actor=actor)}
    specs = []
    for name, unit in level2.items():
        if unit.kind == UnitKind.TOWN:
            specs.append(
                {"name": f"{name}{_name(rng)[0]}家村", "parent": unit, "kind": UnitKind.VILLAGE}
            )
            specs.append({"name": f"{name}中心小学", "parent": unit, "kind": UnitKind.SCHOOL})
            specs.append(
                {"name": f"{name}社区卫生服务中心", "parent": unit, "kind": UnitKind.OTHER}
            )
    level3 = {u.name: u for u in org.create_units(specs, actor=actor)}
    units = {city.name: city, **level1, **level2, **level3}
    # People: the demo log-ins, then a handful of staff in each bureau and district.
    people = []
    for username, full, title, unit, role in LOGINS:
        people.append(
            {
                "username": username,
                "full_name": full,
                "title": title,
                "unit": units[unit],
                "password": DEMO_PASSWORD,
                "roles": [role],
                "role_unit": city if role in (Role.SUPERVISOR, Role.ADMIN) else None,
            }
        )
    people.append(
        {"full_name": "李红梅", "title": "副局长", "unit": units[TRANSPORT], "roles": [Role.LEADER]}
    )
    people.append(
        {"full_name": "刘志强", "title": "局长", "unit": units[TRANSPORT], "roles": [Role.LEADER]}
    )
    for name in ["赵敏", "孙涛", "陈晨", "周洁"]:
        people.append(
            {"full_name": name, "title": "科员", "unit": units[TRANSPORT], "roles": [Role.REPORTER]}
        )
    for unit in units.values():
        if unit.kind in (UnitKind.BUREAU, UnitKind.DISTRICT, UnitKind.DIVISION, UnitKind.TOWN):
            people.append(
                {"full_name": _name(rng), "title": "联络员", "unit": unit, "roles": [Role.REPORTER]}
            )
    org.create_people(people, actor=actor)
    admin = units[CITY].people.get(username="admin")
    org.update_person(admin, actor=actor, version=admin.version, is_staff=True, is_superuser=True)
    return units
