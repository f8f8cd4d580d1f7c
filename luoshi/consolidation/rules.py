"""Pure rules of the experience library: the text the search reads, tag names, and how similar a
task is to a recorded practice. No Django: plain data in, plain data out."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

MAX_TAGS = 10
MAX_TAG_LENGTH = 40
PANEL_SIZE = 5
# Words every task title has: sharing them says nothing about the task's subject.
GENERIC = frozenset(
    {"工作", "推进", "开展", "加强", "落实", "完成", "全面", "进一", "一步", "实施", "提升", "相关"}
)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9]{2,}")
_TAG_SPLIT = re.compile(r"[,，、;；\s]+")


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits as ASCII) and lower case: what is stored and what
    is searched for, so 'ＡＢＣ' finds 'abc'."""
    return unicodedata.normalize("NFKC", text or "").lower()


def search_text(title: str, what: str, result: str, tags: Iterable[str]) -> str:
    return "\n".join(normalise(part) for part in (title, what, result, " ".join(tags)))


def query_text(q: str) -> str:
    """The query as searched for: normalised, spaces at the ends dropped."""
    return normalise(q).strip()


def parse_tags(value: str | Iterable[str]) -> list[str]:
    """Tag names from a comma-, 、- or space-separated string (or a list), trimmed, first
    spelling kept, duplicates dropped, in the order written."""
    parts = _TAG_SPLIT.split(value) if isinstance(value, str) else list(value)
    seen: dict[str, str] = {}
    for part in parts:
        name = unicodedata.normalize("NFKC", str(part)).strip()
        if name and name.lower() not in seen:
            seen[name.lower()] = name
    return list(seen.values())


def tag_problem(names: Sequence[str]) -> str | None:
    """Why these tags cannot be kept, or None: "too_many" or "too_long"."""
    if len(names) > MAX_TAGS:
        return "too_many"
    if any(len(n) > MAX_TAG_LENGTH for n in names):
        return "too_long"
    return None


# --- similarity ----------------------------------------------------------------------------


def bigrams(text: str) -> set[str]:
    """Chinese character bigrams of each run of Chinese text (a single character counts as
    one), plus Latin words and numbers of two or more characters; generic words dropped."""
    text = normalise(text)
    out: set[str] = set()
    for run in _CJK.findall(text):
        if len(run) == 1:
            out.add(run)
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    out.update(_WORD.findall(text))
    return out - GENERIC


@dataclass(frozen=True)
class Candidate:
    pk: int
    title: str
    what: str = ""
    tags: tuple[str, ...] = ()
    same_unit: bool = False


@dataclass(frozen=True)
class Match:
    pk: int
    score: float
    shared: tuple[str, ...] = field(default=())


def similarity(
    task_title: str, candidate: Candidate, task_words: Iterable[str] = ()
) -> tuple[float, tuple[str, ...]]:
    """How similar a task is to a practice, 0 … 1, and the bigrams they share.

    The task's title bigrams against the practice's title (weight 1) and text (weight ½),
    as the share of the task's bigrams found; each tag of the practice that the task's title
    or `task_words` (its category, its plan's name) contains adds 0.2; the same unit 0.05."""
    words = bigrams(task_title)
    if not words:
        return 0.0, ()
    in_title = words & bigrams(candidate.title)
    in_text = (words & bigrams(candidate.what)) - in_title
    score = (len(in_title) + 0.5 * len(in_text)) / len(words)
    context = normalise(" ".join([task_title, *task_words]))
    tag_hits = [t for t in candidate.tags if t and normalise(t) in context]
    score += 0.2 * len(tag_hits)
    if score and candidate.same_unit:
        score += 0.05
    return min(score, 1.0), tuple(sorted(in_title | in_text))


def rank(
    task_title: str,
    candidates: Iterable[Candidate],
    task_words: Iterable[str] = (),
    *,
    limit: int = PANEL_SIZE,
    threshold: float = 0.15,
) -> list[Match]:
    """The `limit` most similar practices scoring at least `threshold`, best first (ties:
    newest first, i.e. the higher pk)."""
    task_words = list(task_words)
    matches = []
    for c in candidates:
        score, shared = similarity(task_title, c, task_words)
        if score >= threshold:
            matches.append(Match(c.pk, round(score, 4), shared))
    matches.sort(key=lambda m: (-m.score, -m.pk))
    return matches[:limit]
