"""Names a ledger gives units, read as people write them: pure rules over plain data (no
database), table-tested in luoshi/ledger/tests/test_import_names.py.

- `collective(name)`: 各区县交通运输局, 各县（市、区）, 各成员单位, 各乡镇（街道） … stand for a
  set of units, never for one unit of that name.
- `members_of(spec, units, owner_path)`: the units a collective name stands for, by kind within
  the owner's tree.
- `suggest(name, units)`: near matches for an unknown name (交通局 → 市交通运输局).
- `placement(name, units, default)`: the parent a unit created by an import goes under
  (章丘区交通运输局 under 章丘区 where the tree has it)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

# A unit as these rules see it: (id, name, short_name, kind, path, parent kind).


@dataclass(frozen=True)
class UnitRow:
    id: int
    name: str
    short_name: str = ""
    kind: str = "other"
    path: str = ""
    parent_kind: str = ""


@dataclass(frozen=True)
class Collective:
    """What a collective name stands for.

    scope: "districts" (every district/county unit), "towns" (every town/street), "schools",
    "children" (the owner's child units: 各成员单位, 各部门, 各有关单位), or "district_units"
    (units under a district whose name ends with `suffix`: 各区县交通运输局)."""

    scope: str
    suffix: str = ""


_WS = re.compile(r"\s+")
_BRACKETS = str.maketrans({"（": "(", "）": ")", "，": "、", ",": "、"})
# Ways of writing "every district and county": 各区县, 各区(县), 各县(市、区), 各县市区 …
_DISTRICTS = (
    r"(?:区县|县区|县市区|区县市|县\(市、?区\)|区\(县\)|区\(县、?市\)|县\(区\)|区、县|县、区|"
    r"区县\(市\)|县\(市\)|区\(市、?县\))"
)
_TOWNS = r"(?:乡镇\(街道\)|镇\(街道\)|乡镇街道|镇街|乡镇|街道\(乡镇\)|街道|镇\(街\)|乡\(镇\))"
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"^各{_DISTRICTS}(?:人民政府|政府)?$"), "districts"),
    (re.compile(rf"^各{_DISTRICTS}(?P<suffix>.+)$"), "district_units"),
    (re.compile(rf"^各{_TOWNS}(?:人民政府|政府|办事处)?$"), "towns"),
    (re.compile(r"^各(?:中小学|学校|中小学校|高校)$"), "schools"),
    (
        re.compile(
            r"^各(?:有关|相关)?(?:成员单位|部门|单位|委办局|市直部门|市直单位|市直有关部门|"
            r"市直有关单位|责任单位|有关部门|相关部门)$"
        ),
        "children",
    ),
    (re.compile(r"^(?:市直)?(?:各)?(?:有关|相关)(?:部门|单位)$"), "children"),
    (re.compile(r"^(?:领导小组|指挥部)?(?:各)?成员单位$"), "children"),
)


def _norm(name: str) -> str:
    return _WS.sub("", (name or "").translate(_BRACKETS))


def collective(name: str) -> Collective | None:
    """The set a collective name stands for, or None for the name of one unit."""
    text = _norm(name)
    for pattern, scope in _RULES:
        m = pattern.match(text)
        if m:
            suffix = m.groupdict().get("suffix") or ""
            return Collective(scope, suffix)
    return None


def members_of(spec: Collective, units: list[UnitRow], owner_path: str = "") -> list[UnitRow]:
    """The units `spec` stands for: looked for in the owner's subtree first, then in each
    enclosing subtree up to the whole tree, the nearest one that has any. In tree order."""
    ordered = sorted(units, key=lambda u: u.path)

    def matches(u: UnitRow, owner: str) -> bool:
        if spec.scope == "districts":
            return u.kind == "district"
        if spec.scope == "towns":
            return u.kind == "town"
        if spec.scope == "schools":
            return u.kind == "school"
        if spec.scope == "district_units":
            return u.parent_kind == "district" and (
                u.name.endswith(spec.suffix) or (u.short_name or "").endswith(spec.suffix)
            )
        if spec.scope == "children":  # the owner's own child units
            return (
                bool(owner)
                and u.path.startswith(owner)
                and u.path.count(".") == (owner.count(".") + 1)
            )
        return False

    if spec.scope == "children":
        return [u for u in ordered if matches(u, owner_path)]
    step = 6  # len("00001."): Unit.path segments
    prefixes = [owner_path[:i] for i in range(len(owner_path), 0, -step)] + [""]
    for prefix in prefixes:
        found = [u for u in ordered if u.path.startswith(prefix) and matches(u, owner_path)]
        if found:
            return found
    return []


# --- near matches --------------------------------------------------------------------------

# Common abbreviations in ledgers → the full name's words.
ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    ("发改委", "发展和改革委员会"),
    ("发改局", "发展和改革局"),
    ("工信局", "工业和信息化局"),
    ("住建局", "住房和城乡建设局"),
    ("住建委", "住房和城乡建设委员会"),
    ("人社局", "人力资源和社会保障局"),
    ("自规局", "自然资源和规划局"),
    ("资规局", "自然资源和规划局"),
    ("环保局", "生态环境局"),
    ("农业局", "农业农村局"),
    ("市监局", "市场监督管理局"),
    ("市场监管局", "市场监督管理局"),
    ("应急局", "应急管理局"),
    ("卫健委", "卫生健康委员会"),
    ("卫健局", "卫生健康局"),
    ("文旅局", "文化和旅游局"),
    ("城管局", "城市管理局"),
    ("医保局", "医疗保障局"),
    ("退役军人局", "退役军人事务局"),
    ("审批局", "行政审批服务局"),
    ("大数据局", "大数据局"),
    ("交通局", "交通运输局"),
    ("交运局", "交通运输局"),
    ("教体局", "教育和体育局"),
    ("科技局", "科学技术局"),
    ("统计局", "统计局"),
    ("国资委", "国有资产监督管理委员会"),
    ("宣传部", "委宣传部"),
    ("组织部", "委组织部"),
    ("公安局", "公安局"),
)
# An administrative-area prefix: 市 / 区 / 县 alone, or a place name ending in one (济南市, 章丘区).
_AREA = re.compile(r"^(?:[\u4e00-\u9fff]{1,6}?(?:省|市|区|县|镇|乡|街道))?")
_LEVEL = re.compile(r"^(?:市|区|县|省)")


@lru_cache(maxsize=20000)
def _core(name: str) -> str:
    """A name without its area prefix and with abbreviations spelled out: 市交通局 → 交通运输局."""
    text = _norm(name)
    text = _LEVEL.sub("", text) if len(text) > 2 else text
    for short, full in ABBREVIATIONS:
        if text.endswith(short) and not text.endswith(full):
            text = text[: -len(short)] + full
            break
    return text


def _strip_area(text: str) -> tuple[str, str]:
    m = _AREA.match(text)
    area = m.group(0) if m else ""
    rest = text[len(area) :]
    if len(rest) < 2:
        return "", text
    return area, rest


@lru_cache(maxsize=20000)
def _parts(name: str) -> tuple[str, str, str, str]:
    """(normalised, core, area, rest) of a name, computed once per name."""
    norm = _norm(name)
    core = _core(norm)
    area, rest = _strip_area(core)
    return norm, core, area, rest


def score(name: str, candidate: str) -> float:
    """How near `candidate` (a unit's name) is to `name` (as the ledger writes it), 0 … 1."""
    a, ca, area_a, rest_a = _parts(name)
    b, cb, area_b, rest_b = _parts(candidate)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    if ca == cb:
        return 0.95
    if rest_a and rest_a == rest_b:
        # Same office, different or missing place: 交通运输局 ~ 市交通运输局, not 章丘区交通运输局.
        if not area_a or not area_b:
            return 0.9 if not area_a and len(area_b) <= 1 else 0.6
        return 0.3
    matcher = difflib.SequenceMatcher(None, ca, cb)
    contained = ca in cb or cb in ca
    if not contained and matcher.real_quick_ratio() < 0.5:
        return 0.0
    if not contained and matcher.quick_ratio() < 0.5:
        return 0.0
    ratio = matcher.ratio()
    if contained:
        ratio = max(ratio, 0.75)
    if area_a and area_b and area_a != area_b:
        ratio = min(ratio, 0.5)  # another district's office is not a near match
    return round(ratio, 3)


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)} or {text}


class Suggester:
    """Near matches over a fixed list of units: a character-bigram index picks the few units
    worth scoring (`shortlist` of them), so that 150 names against thousands of units take
    well under a second."""

    def __init__(self, units: list[UnitRow], shortlist: int = 40):
        self.units = units
        self.shortlist = shortlist
        self.index: dict[str, list[int]] = {}
        for i, u in enumerate(units):
            grams = _bigrams(_parts(u.name)[1])
            if u.short_name:
                grams |= _bigrams(_parts(u.short_name)[1])
            for g in grams:
                self.index.setdefault(g, []).append(i)

    def suggest(
        self, name: str, *, limit: int = 3, threshold: float = 0.6
    ) -> list[tuple[UnitRow, float]]:
        """The units nearest to `name`, best first (ties: shorter path, then name)."""
        hits: dict[int, int] = {}
        for g in _bigrams(_parts(name)[1]):
            for i in self.index.get(g, ()):
                hits[i] = hits.get(i, 0) + 1
        best = sorted(hits, key=lambda i: -hits[i])[: self.shortlist]
        scored = []
        for i in best:
            u = self.units[i]
            s = max(score(name, u.name), score(name, u.short_name) if u.short_name else 0.0)
            if s >= threshold:
                scored.append((u, s))
        scored.sort(key=lambda us: (-us[1], len(us[0].path), us[0].name))
        return scored[:limit]


def suggest(
    name: str, units: list[UnitRow], *, limit: int = 3, threshold: float = 0.6
) -> list[tuple[UnitRow, float]]:
    """The units nearest to `name`, best first (ties: shorter path, then name)."""
    return Suggester(units).suggest(name, limit=limit, threshold=threshold)


# --- where a new unit goes -----------------------------------------------------------------


def placement(name: str, units: list[UnitRow], default: UnitRow | None) -> UnitRow | None:
    """The parent for a unit an import creates: the unit whose name (or short name) is the
    longest proper prefix of the new name — 章丘区交通运输局 under 章丘区 — where the tree has one,
    preferring districts and towns; else `default` (the plan's owner unit)."""
    text = _norm(name)
    best: tuple[int, int, UnitRow] | None = None
    for u in units:
        for label in (u.name, u.short_name):
            label = _norm(label)
            if not label or len(label) < 2 or len(label) >= len(text):
                continue
            if text.startswith(label):
                rank = (len(label), 1 if u.kind in ("district", "town", "city") else 0)
                if best is None or rank > best[:2]:
                    best = (*rank, u)
    return best[2] if best else default


_KINDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?:街道|街道办事处|镇|乡|镇人民政府|乡人民政府)$"), "town"),
    (re.compile(r"(?:村|社区|村委会|居委会)$"), "village"),
    (re.compile(r"(?:学校|中学|小学|幼儿园|学院|大学)$"), "school"),
    (re.compile(r"(?:公司|集团|有限公司)$"), "company"),
    (re.compile(r"^[\u4e00-\u9fff]{1,5}(?:区|县|县级市)(?:人民政府|政府)?$"), "district"),
    (re.compile(r"(?:支队|总队|中心)$"), "bureau"),
    (re.compile(r"(?:处|科|室|股|所|站|队)$"), "division"),
    (re.compile(r"(?:局|委|委员会|办|办公室|中心|支队|总队|部)$"), "bureau"),
)


def guess_kind(name: str) -> str:
    """The kind of a unit an import creates, from how its name ends: 章丘区 district, 明水街道
    town, 综合规划处 division, 市公路事业发展中心 bureau …; "other" when the name does not say."""
    text = _norm(name)
    for pattern, kind in _KINDS:
        if pattern.search(text):
            return kind
    return "other"
