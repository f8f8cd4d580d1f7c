"""Ledger workbooks in the shape offices keep them, generated for the demo and benchmarks.
They go through the real importer, like a user's file would."""

from __future__ import annotations

import io
import random

import xlsxwriter

from luoshi.core.text import cn_number
from luoshi.ledger.exporter import LEDGER_HEADER as HEADER  # the standard 14 columns

from .city import DISTRICTS, TRANSPORT_UNITS

CATEGORIES = [
    "交通基础设施建设",
    "公共交通服务提升",
    "农村公路与城乡客运",
    "行业安全生产",
    "交通运输执法",
    "营商环境与审批改革",
    "绿色低碳交通",
    "党建与队伍建设",
]
VERBS = ["推进", "完成", "实施", "建设", "开展", "优化", "提升", "整治"]
OBJECTS = [
    "枢纽配套道路",
    "公交线路",
    "农村公路",
    "客运站",
    "充电设施",
    "执法规范化",
    "审批事项",
    "隐患排查",
    "桥梁维修加固",
    "智慧交通平台",
    "物流园区",
    "停车设施",
    "慢行系统",
]
DEADLINES = [
    "2026-03-31",
    "6月底前",
    "第三季度",
    "年底前",
    "2026年10月31日",
    "2026.9.30",
    "上半年",
    "一季度",
    "8月中旬",
    "长期坚持",
    "11月底前",
    "2026/12/15",
]
LEADERS = ["张建国(副局长)", "李红梅(副局长)", "刘志强(局长)"]
OWNERS = ["王磊", "赵敏", "孙涛", "陈晨", "周洁"]


def _title(rng: random.Random, i: int) -> str:
    return f"{rng.choice(VERBS)}{rng.choice(OBJECTS)}第{i}批"


def bureau_ledger(rng: random.Random, tasks: int = 151, year: int = 2026) -> bytes:
    """The transport bureau's ledger: `tasks` rows in 8 categories, numbering running through
    the sheet, every third top-level task with two subtasks under a merged leader cell."""
    per_cat = [tasks // 8 + (1 if i < tasks % 8 else 0) for i in range(8)]
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet("台账")
    ws.merge_range(0, 0, 0, len(HEADER) - 1, f"{year}年市交通运输局重点工作任务台账")
    ws.merge_range(1, 0, 1, len(HEADER) - 1, f"填报单位:市交通运输局    填报时间:{year}年1月15日")
    ws.write_row(2, 0, HEADER)
    row, top = 3, 0
    for c, count in enumerate(per_cat):
        ws.merge_range(
            row, 0, row, len(HEADER) - 1, f"{cn_number(c + 1)}、{CATEGORIES[c]}({count}项)"
        )
        row += 1
        left = count
        while left > 0:
            top += 1
            subs = 2 if top % 3 == 0 and left >= 3 else 0
            leader = rng.choice(LEADERS)
            unit = rng.choice(TRANSPORT_UNITS[3:])
            coop = rng.choice(
                [
                    "",
                    f"{rng.choice(DISTRICTS)}交通运输局",
                    f"{rng.choice(DISTRICTS)}交通运输局、{rng.choice(TRANSPORT_UNITS[:3])}",
                ]
            )
            target = rng.choice([None, 5, 12, 30, 100])
            deadline = rng.choice(DEADLINES)
            milestones = (
                ""
                if deadline == "长期坚持"
                else rng.choice(
                    [
                        "",
                        f"{year}-03-31 完成方案；{year}-06-30 开工",
                        "6月底前 完成50%；9月底前 完成80%",
                    ]
                )
            )
            values = [
                str(top),
                _title(rng, top),
                f"完成{target}{rng.choice('所个条公里')}" if target else "",
                leader,
                unit,
                coop,
                rng.choice(OWNERS),
                deadline,
                milestones,
                rng.choice(["是", "否", "√", ""]),
                target,
                "个" if target else "",
                rng.choice(["每月", "每周", "每季度"]),
                "",
            ]
            if subs:
                ws.merge_range(row, 3, row + subs, 3, leader)
            for col, v in enumerate(values):
                if col == 3 and subs:
                    continue
                if v is None or v == "":
                    continue
                ws.write(row, col, v)
            row += 1
            for s in range(1, subs + 1):
                ws.write_row(row, 0, [f"{top}.{s}", f"{_title(rng, top)}（分项{s}）", ""])
                ws.write(row, 4, unit)
                ws.write(row, 6, rng.choice(OWNERS))
                ws.write(row, 7, rng.choice(["6月底前", "第三季度", f"{year}-10-31"]))
                row += 1
            left -= 1 + subs
    ws.write(row + 1, 0, "填表人：王磊    联系电话：0531-12345678")
    wb.close()
    return buf.getvalue()


def scale_ledger(
    rng: random.Random,
    tasks: int,
    units: list[str],
    people: list[str],
    leaders: list[str],
    year: int = 2026,
    categories: int = 20,
) -> bytes:
    """A large ledger for benchmarks: `tasks` rows across the given units, in `categories`
    sections whose numbering restarts (as large ledgers number them)."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf, {"in_memory": True, "constant_memory": True, "strings_to_numbers": False}
    )
    ws = wb.add_worksheet("台账")
    ws.write(0, 0, f"{year}年全市重点工作任务台账")
    ws.write_row(1, 0, HEADER)
    row = 2
    per_cat = max(1, -(-tasks // categories))
    n = 0
    for c in range(categories):
        count = min(per_cat, tasks - n)
        if count <= 0:
            break
        ws.write(row, 0, f"{cn_number(c + 1)}、重点工作类别{c + 1}({count}项)")
        row += 1
        for i in range(1, count + 1):
            n += 1
            ws.write_row(
                row,
                0,
                [
                    str(i),
                    _title(rng, n),
                    "按计划推进",
                    rng.choice(leaders),
                    rng.choice(units),
                    rng.choice(["", rng.choice(units)]),
                    rng.choice(people),
                    rng.choice(DEADLINES),
                    "",
                    rng.choice(["是", "否"]),
                    rng.choice([10, 20, 50]),
                    "个",
                    "每月",
                    "",
                ],
            )
            row += 1
    wb.close()
    return buf.getvalue()


# The seed's education bureau (计划完工中小学校30所、开工新建改扩建中小学校及幼儿园80所；截至8月底
# 已完工23所、已开工72所): per district, what each must finish and start, and what it has.
EDUCATION_ROWS = {
    "中小学校建设（完工）": [(6, 5), (5, 4), (6, 5), (4, 3), (5, 4), (4, 2)],
    "中小学校及幼儿园新建改扩建（开工）": [
        (15, 14),
        (14, 13),
        (16, 14),
        (12, 11),
        (12, 11),
        (11, 9),
    ],
}


def education_ledger(owners: dict[str, str], year: int = 2026) -> bytes:
    """The education bureau's 为民办实事 list: targets, measures and actuals by district, in
    two sections, as a bureau reports them (目标值 / 计量单位 / 实际完成值); `owners` names
    each district's 责任人."""
    header = [
        "序号",
        "项目名称",
        "责任单位",
        "责任人",
        "完成时限",
        "目标值",
        "计量单位",
        "实际完成值",
    ]
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("项目清单")
    ws.merge_range(0, 0, 0, len(header) - 1, f"{year}年市教育局为民办实事项目清单")
    ws.write_row(1, 0, header)
    row, no = 2, 0
    for c, (section, figures) in enumerate(EDUCATION_ROWS.items()):
        ws.merge_range(row, 0, row, len(header) - 1, f"{cn_number(c + 1)}、{section}")
        row += 1
        verb = "完工" if "完工" in section else "开工"
        for district, (target, actual) in zip(DISTRICTS, figures, strict=True):
            no += 1
            title = f"{district}中小学校{verb}项目"
            deadline = f"{year}-12-31" if verb == "完工" else f"{year}-10-31"
            owner = owners.get(district, "")
            values = [str(no), title, district, owner, deadline, target, "所", actual]
            ws.write_row(row, 0, values)
            row += 1
    wb.close()
    return buf.getvalue()
