"""The architecture, checked so that the first breach fails a test.

* Imports run one way: core → org → notify → ledger → dispatch → demo (later stages above
  dispatch), and rules modules import no Django, no DRF and no models. Import Linter checks the
  contracts in pyproject.toml ([tool.importlinter]).
* Only services write: outside service modules, migrations, tests and a short list of mechanism
  modules, nothing calls save / delete / create / update / bulk_* / get_or_create /
  update_or_create. Views, API, admin, forms, commands, jobs, importers and reminders call a
  service, which checks the actor's rights and records the audit in the same transaction.
  Nor may an admin, API viewset or generic view leave a write to the default it inherits.
* No app imports another app's private (underscore) names or modules.

Each check is a function over source text or a directory. The tests below run it on small
breaches first (so a check that stopped seeing anything would fail), then on the real tree.
"""

from __future__ import annotations

import ast
import functools
import importlib
import json
import re
import sys
import textwrap
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "luoshi"
PYPROJECT = ROOT / "pyproject.toml"

# The stages in import order, highest first. Later stages sit between demo and dispatch.
LOOP_ORDER = ["demo", "dispatch", "ledger", "notify", "org", "core"]


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    call: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.call}"


def _report(findings: list[Finding]) -> str:
    return "\n".join(str(f) for f in sorted(findings))


def _snippet(node: ast.AST, limit: int = 120) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@functools.cache
def _parse(source: str, filename: str) -> ast.Module:
    """Parsed once per run for both tree checks (the trees are only read)."""
    return ast.parse(source, filename)


def _python_files(package: Path) -> list[Path]:
    return sorted(p for p in package.rglob("*.py") if "migrations" not in p.parts)


def _rel(path: Path, package: Path) -> str:
    """luoshi/ledger/views.py, whatever the package directory is called on disk."""
    return (Path(package.name) / path.relative_to(package)).as_posix()


# ---------------------------------------------------------------------------------------------
# 1. Import contracts (Import Linter)
# ---------------------------------------------------------------------------------------------


def lint_imports(config: Path, root: Path) -> tuple[bool, str]:
    """Check the contracts in `config` against the packages under `root`, as the
    `lint-imports` command does but in this process (no interpreter start per check).
    Returns (all kept, the report)."""
    try:
        import importlinter.api  # noqa: F401  (configures Import Linter, as its command does)
        from importlinter.application import output, use_cases
    except ImportError:
        pytest.fail(
            "import-linter is missing: .venv/bin/pip install -e '.[dev]' "
            "(or .venv/bin/pip install import-linter)."
        )
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    width = output.console.width
    output.console.width = 200  # one import per line in the report
    try:
        with output.console.capture() as captured:
            kept = use_cases.lint_imports(config_filename=str(config), cache_dir=None, no_logo=True)
    finally:
        output.console.width = width
        sys.path.remove(str(root))
    return kept, captured.get()


def importlinter_config() -> dict:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]


def _contract(config: dict, contract_id: str) -> dict:
    return next(c for c in config["contracts"] if c.get("id") == contract_id)


def _layer_names(layer: str) -> list[str]:
    """'(assessment) : bulletins' -> ['assessment', 'bulletins']."""
    return [part.strip().strip("()").strip() for part in re.split(r"[:|]", layer)]


def _rename_root(value, new: str):
    if isinstance(value, str):
        return re.sub(r"\bluoshi\b", new, value)
    if isinstance(value, list):
        return [_rename_root(v, new) for v in value]
    if isinstance(value, dict):
        return {k: _rename_root(v, new) for k, v in value.items()}
    return value


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)  # a TOML basic string is a JSON string


def _toml(config: dict) -> str:
    lines = ["[tool.importlinter]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in config.items() if k != "contracts"]
    for contract in config["contracts"]:
        lines += ["", "[[tool.importlinter.contracts]]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in contract.items()]
    return "\n".join(lines) + "\n"


def _write_module(root: Path, dotted: str, source: str = "") -> None:
    parts = dotted.split(".")
    for i in range(1, len(parts)):
        package = root.joinpath(*parts[:i])
        package.mkdir(exist_ok=True)
        (package / "__init__.py").touch()
    path = root.joinpath(*parts[:-1], parts[-1] + ".py")
    if path.exists():
        source = path.read_text() + source
    path.write_text(source)


FAKE = "fakeshi"


def fake_project(tmp_path: Path, breach: dict[str, str] | None = None) -> Path:
    """A tiny package shaped like luoshi, checked by pyproject's own contracts (renamed to it):
    every layer is a package with models, rules and services; each stage's services import the
    stage below; the composition root and the tests import everything. `breach` adds source
    to modules (dotted name -> code). Returns the config file."""
    config = _rename_root(importlinter_config(), FAKE)
    layers = [
        name for layer in _contract(config, "stages")["layers"] for name in _layer_names(layer)
    ]
    for name in layers:
        _write_module(tmp_path, f"{FAKE}.{name}.models", "class Thing:\n    pass\n")
        _write_module(tmp_path, f"{FAKE}.{name}.rules", "import datetime\n")
    # Each stage imports the stage below; siblings in one layer ("a | b") import neither each
    # other nor anything but the layer below.
    groups = [_layer_names(layer) for layer in _contract(config, "stages")["layers"]]
    for upper, lower in zip(groups, [*groups[1:], None], strict=True):
        below = f"from {FAKE}.{lower[0]} import models\n" if lower else ""
        for name in upper:
            _write_module(tmp_path, f"{FAKE}.{name}.services", below)
    everything = "".join(f"import {FAKE}.{name}.services\n" for name in layers)
    for name in _contract(config, "stages").get("exhaustive_ignores", []):
        _write_module(tmp_path, f"{FAKE}.{name}", everything)
    _write_module(tmp_path, f"{FAKE}.{layers[-1]}.tests.test_everything", everything)
    for contract in config["contracts"]:
        for module in contract.get("source_modules", []):
            if "*" not in module:
                _write_module(tmp_path, module, "import re\n")
    for module, source in (breach or {}).items():
        _write_module(tmp_path, module, textwrap.dedent(source))
    path = tmp_path / "pyproject.toml"
    path.write_text(_toml(config), encoding="utf-8")
    return path


def test_the_layers_run_in_the_loop_order():
    stages = _contract(importlinter_config(), "stages")
    assert stages["type"] == "layers"
    assert stages["containers"] == ["luoshi"]
    assert stages["exhaustive"] is True  # a new app is an error until it is placed
    listed = [name for layer in stages["layers"] for name in _layer_names(layer)]
    assert [name for name in listed if name in LOOP_ORDER] == LOOP_ORDER
    assert listed[0] == "demo" and listed[-1] == "core"
    # The composition root (and the server's settings beside wsgi) may import anything, and
    # nothing else is excused.
    assert set(stages["exhaustive_ignores"]) == {
        "settings",
        "urls",
        "api_urls",
        "wsgi",
        "manage",
        "gunicorn_conf",
    }
    rules = _contract(importlinter_config(), "pure-rules")
    assert "luoshi.**.rules" in rules["source_modules"]
    assert {"django", "rest_framework", "luoshi.**.models"} <= set(rules["forbidden_modules"])


def test_a_sound_project_keeps_the_contracts(tmp_path):
    kept, report = lint_imports(fake_project(tmp_path), tmp_path)
    assert kept, report


@pytest.mark.parametrize(
    ("breach", "reported"),
    [
        pytest.param(
            {f"{FAKE}.ledger.views": f"from {FAKE}.dispatch import services\n"},
            f"{FAKE}.ledger is not allowed to import {FAKE}.dispatch",
            id="ledger-imports-dispatch",
        ),
        pytest.param(
            {f"{FAKE}.core.audit": f"from {FAKE}.org.models import Thing\n"},
            f"{FAKE}.core is not allowed to import {FAKE}.org",
            id="core-imports-org",
        ),
        pytest.param(
            {f"{FAKE}.org.scope": f"import {FAKE}.notify.models\n"},
            f"{FAKE}.org is not allowed to import {FAKE}.notify",
            id="org-imports-notify",
        ),
        pytest.param(
            {f"{FAKE}.notify.services": f"from {FAKE}.ledger import models\n"},
            f"{FAKE}.notify is not allowed to import {FAKE}.ledger",
            id="notify-imports-ledger",
        ),
        pytest.param(
            # Indirectly, through the composition root that imports every stage.
            {f"{FAKE}.core.jobs": f"from {FAKE} import urls\n"},
            f"{FAKE}.core is not allowed to import {FAKE}.demo",
            id="core-reaches-demo-through-urls",
        ),
        pytest.param(
            {f"{FAKE}.spotcheck": ""},  # a stage not yet given its place in the list
            "not listed as layers",
            id="new-app-not-placed",
        ),
        pytest.param(
            {f"{FAKE}.ledger.rules": "from django.db import models\n"},
            f"{FAKE}.ledger.rules is not allowed to import django",
            id="rules-import-django-db",
        ),
        pytest.param(
            {f"{FAKE}.dispatch.rules": "from rest_framework import serializers\n"},
            f"{FAKE}.dispatch.rules is not allowed to import rest_framework",
            id="rules-import-drf",
        ),
        pytest.param(
            {f"{FAKE}.ledger.rules": "from .models import Thing\n"},
            f"{FAKE}.ledger.rules is not allowed to import {FAKE}.ledger.models",
            id="rules-import-own-models",
        ),
        pytest.param(
            {
                f"{FAKE}.core.workdays": f"from {FAKE}.core import helpers\n",
                f"{FAKE}.core.helpers": "from django.conf import settings\n",
            },
            f"{FAKE}.core.workdays is not allowed to import django",
            id="pure-module-reaches-settings-indirectly",
        ),
    ],
)
def test_import_linter_reports_a_breach(tmp_path, breach, reported):
    kept, report = lint_imports(fake_project(tmp_path, breach), tmp_path)
    assert not kept, report
    assert reported in report, report


def test_the_tree_keeps_the_import_contracts():
    kept, report = lint_imports(PYPROJECT, ROOT)
    if not kept:
        pytest.fail(
            "Import contracts broken (pyproject.toml [tool.importlinter]):\n" + report,
            pytrace=False,
        )


# ---------------------------------------------------------------------------------------------
# 2. Only services write
# ---------------------------------------------------------------------------------------------

WRITE_METHODS = frozenset(
    {
        "save",
        "delete",
        "create",
        "update",
        "bulk_create",
        "bulk_update",
        "get_or_create",
        "update_or_create",
    }
)

# Modules that are the audited write path by design. An entry is a whole module; keep the list
# short, and remove an entry when its writes move into a services module (a test fails when an
# entry no longer writes, so the list can only shrink).
WRITE_ALLOWLIST: dict[str, str] = {
    # Mechanisms every service uses.
    "luoshi/core/audit.py": "the audit trail itself: locks the chain head, appends the records",
    "luoshi/core/versioning.py": "save_versioned: the compare-and-set UPDATE services call",
    "luoshi/core/actors.py": "creates the system actor once; the actor audit records name",
    "luoshi/core/jobs.py": "the worker's django-q2 Schedule rows: job wiring, not domain data",
    # Services by another name: each takes the actor, checks rights, writes in one transaction
    # with its audit record. Drop the entry if the function moves into a services module.
    "luoshi/core/calendar.py": "load_arrangement: the calendar's service (notice → overrides)",
    "luoshi/ledger/importer/service.py": "the workbook import's service (run/_commit)",
}

# Attributes that hold dicts on Django objects (form.initial, widget.attrs, ...).
_DICT_ATTRIBUTES = frozenset({"initial", "cleaned_data", "attrs", "context", "extra_context"})
# Calls that return a new dict.
_DICT_FACTORIES = frozenset({"dict", "defaultdict", "OrderedDict", "Counter"})
_DICT_METHODS = frozenset(
    {"get_context_data", "get_form_kwargs", "get_initial", "get_serializer_context", "copy"}
)
_DICT_ANNOTATIONS = frozenset({"dict", "Dict", "MutableMapping", "defaultdict", "OrderedDict"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def is_service_module(relpath: str) -> bool:
    parts = Path(relpath).parts
    return parts[-1] == "services.py" or "services" in parts[:-1]


def is_write_checked(relpath: str) -> bool:
    """Whether the only-services-write check applies to this file (a path like
    luoshi/ledger/views.py)."""
    parts = Path(relpath).parts
    return not (
        "migrations" in parts
        or "tests" in parts
        or is_service_module(relpath)
        or relpath in WRITE_ALLOWLIST
    )


def _is_dict_value(node: ast.AST | None) -> bool:
    if isinstance(node, ast.Dict | ast.DictComp):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id in _DICT_FACTORIES
        if isinstance(func, ast.Attribute):
            return func.attr in _DICT_METHODS or func.attr in _DICT_FACTORIES
    return False


def _is_dict_annotation(node: ast.AST | None) -> bool:
    if isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Attribute):
        return node.attr in _DICT_ANNOTATIONS
    return isinstance(node, ast.Name) and node.id in _DICT_ANNOTATIONS


def _scope_nodes(scope: ast.AST):
    """The nodes of one scope, not of the functions and classes nested in it."""
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _SCOPES):
            stack.extend(ast.iter_child_nodes(node))


def _bindings(scope: ast.AST) -> tuple[set[str], set[str]]:
    """(names bound in the scope, those of them bound only ever to a dict)."""
    bound: set[str] = set()
    other: set[str] = set()
    dict_targets: set[int] = set()
    if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        a = scope.args
        for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
            if arg is None:
                continue
            bound.add(arg.arg)
            if not (arg is a.kwarg or _is_dict_annotation(arg.annotation)):
                other.add(arg.arg)
    nodes = list(_scope_nodes(scope))
    for node in nodes:
        if isinstance(node, ast.Assign) and _is_dict_value(node.value):
            dict_targets.update(id(t) for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if _is_dict_value(node.value) or _is_dict_annotation(node.annotation):
                dict_targets.add(id(node.target))
        elif isinstance(node, ast.NamedExpr) and _is_dict_value(node.value):
            dict_targets.add(id(node.target))
    for node in nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
            if id(node) not in dict_targets:
                other.add(node.id)
        elif isinstance(node, ast.alias):
            name = (node.asname or node.name).split(".")[0]
            bound.add(name)
            other.add(name)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
            other.add(node.name)
    return bound, bound - other


def _is_dict_receiver(node: ast.AST, chain: list[tuple[set[str], set[str]]]) -> bool:
    if _is_dict_value(node) or isinstance(node, ast.Subscript):
        return True  # a sliced queryset cannot be updated; a[k].update(...) is a nested dict
    if isinstance(node, ast.Attribute):
        return node.attr in _DICT_ATTRIBUTES
    if isinstance(node, ast.Name):
        for bound, dicts in reversed(chain):
            if node.id in bound:
                return node.id in dicts
    return False


def _is_write(call: ast.Call, chain) -> bool:
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in WRITE_METHODS:
        return False
    receiver = func.value
    if isinstance(receiver, ast.Call) and getattr(receiver.func, "id", None) == "super":
        return False  # a model's or form's own override chaining up; its caller is checked
    keywords = {k.arg: k.value for k in call.keywords}
    if func.attr == "save":
        commit = keywords.get("commit")
        if isinstance(commit, ast.Constant) and commit.value is False:
            return False  # ModelForm.save(commit=False) builds an unsaved object
        if any(not isinstance(a, ast.Starred) for a in call.args):
            # Model.save takes keywords only (positionals are deprecated since Django 5.1):
            # document.save(stream) and workbook.save(path) write files, not rows.
            return False
    if func.attr == "update":
        # QuerySet.update takes keywords only; dict.update / set.update take positionals.
        if call.args or not call.keywords:
            return False
        return not _is_dict_receiver(receiver, chain)
    return True


def _calls(node: ast.AST, chain):
    for child in ast.iter_child_nodes(node):
        if isinstance(child, _SCOPES):
            yield from _calls(child, [*chain, _bindings(child)])
        else:
            if isinstance(child, ast.Call):
                yield child, chain
            yield from _calls(child, chain)


def model_writes(source: str, relpath: str) -> list[Finding]:
    """Every call in `source` that writes a model row (or looks like it)."""
    tree = _parse(source, relpath)
    return sorted(
        Finding(relpath, call.lineno, _snippet(call))
        for call, chain in _calls(tree, [_bindings(tree)])
        if _is_write(call, chain)
    )


def writes_outside_services(package: Path) -> list[Finding]:
    findings = []
    for path in _python_files(package):
        relpath = _rel(path, package)
        if is_write_checked(relpath):
            findings += model_writes(path.read_text(encoding="utf-8"), relpath)
    return sorted(findings)


def _writes(source: str, relpath: str = "luoshi/ledger/views.py") -> list[str]:
    return [f.call for f in model_writes(textwrap.dedent(source), relpath)]


@pytest.mark.parametrize(
    "source",
    [
        "Task.objects.create(title='x')",
        "Task.objects.get_or_create(title='x')",
        "Task.objects.update_or_create(title='x', defaults={})",
        "Task.objects.bulk_create(tasks)",
        "Task.objects.bulk_update(tasks, ['title'])",
        "task.save()",
        "task.save(update_fields=['title'])",
        "task.save(*args, **kwargs)",
        "form.save()",
        "serializer.save()",
        "task.delete()",
        "queryset.delete()",
        "Task.objects.filter(plan=plan).update(status='done')",
        "Task.objects.update(**fields)",
        "queryset.update(status='done')",
        # The name is rebound to a queryset too, so it is not known to be a dict.
        "def f():\n    qs = {}\n    qs = Task.objects.all()\n    qs.update(done=True)",
        # A local dict elsewhere does not excuse a queryset of the same name here.
        "def f():\n    qs = {}\ndef g(qs):\n    qs.update(done=True)",
    ],
)
def test_a_write_outside_services_is_found(source):
    assert len(_writes(source)) == 1, source


@pytest.mark.parametrize(
    "source",
    [
        "values.update(other)",  # dict.update / set.update with a positional
        "values.update({'a': 1}, b=2)",
        "seen.update()",
        "fields = {'a': 1}\nfields.update(b=2)",
        "def f():\n    fields = {k: 1 for k in 'ab'}\n    fields.update(c=2)",
        "def f(d: dict[str, int]):\n    d.update(a=1)",
        "def f(**kwargs):\n    kwargs.update(a=1)",
        "def f(self):\n    ctx = super().get_context_data()\n    ctx.update(a=1)",
        "form.initial.update(parent=1)",
        "self.fields['x'].widget.attrs.update(rows=3)",
        "data['a'].update(b=1)",
        "obj = form.save(commit=False)",
        "document.save(stream)",  # python-docx writing a file
        "class T(Model):\n    def save(self, *a, **kw):\n        super().save(*a, **kw)",
        "Task.objects.filter(pk=1).exists()",
        "task.refresh_from_db()",
    ],
)
def test_a_non_write_is_not_found(source):
    assert _writes(source) == [], source


def test_where_the_write_check_applies():
    assert is_write_checked("luoshi/ledger/views.py")
    assert is_write_checked("luoshi/ledger/api.py")
    assert is_write_checked("luoshi/core/admin.py")
    assert is_write_checked("luoshi/demo/management/commands/demo.py")
    assert is_write_checked("luoshi/dispatch/reminders.py")
    assert is_write_checked("luoshi/org/importer.py")
    assert not is_write_checked("luoshi/ledger/services.py")
    assert not is_write_checked("luoshi/supervision/services/visits.py")
    assert not is_write_checked("luoshi/ledger/migrations/0001_initial.py")
    assert not is_write_checked("luoshi/ledger/tests/test_edit_task.py")
    assert not is_write_checked("luoshi/core/audit.py")


def test_a_tree_scan_flags_views_but_not_services(tmp_path):
    package = tmp_path / "luoshi"
    files = {
        "ledger/views.py": "def edit(request):\n    Task.objects.create(title='x')\n",
        "ledger/services.py": "def add(*, actor):\n    Task.objects.create(title='x')\n",
        "ledger/tests/test_x.py": "Task.objects.create(title='x')\n",
        "ledger/migrations/0002_x.py": "Task.objects.create(title='x')\n",
        "core/audit.py": "AuditRecord.objects.bulk_create(rows)\n",
    }
    for name, source in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(source)
    assert [str(f) for f in writes_outside_services(package)] == [
        "luoshi/ledger/views.py:2: Task.objects.create(title='x')"
    ]


def test_every_allowlisted_module_still_writes():
    """An entry that no longer writes (its writes moved into a service) must be removed."""
    stale = []
    for relpath in WRITE_ALLOWLIST:
        path = ROOT / relpath
        if not path.exists() or not model_writes(path.read_text(encoding="utf-8"), relpath):
            stale.append(relpath)
    assert not stale, f"remove from WRITE_ALLOWLIST (missing or no longer writing): {stale}"


def test_only_services_write():
    findings = writes_outside_services(PACKAGE)
    if findings:
        pytest.fail(
            f"{len(findings)} model write(s) outside a service module. Move each into the "
            "app's services.py (actor keyword, rights check, audit record, one transaction) "
            "and call that:\n" + _report(findings),
            pytrace=False,
        )


def bulk_writers(source: str, relpath: str) -> list[Finding]:
    """Imports of core.bulk (raw set-based writes, which the call check above cannot see)."""
    found = []
    for node in ast.walk(_parse(source, relpath)):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        if any(n == "luoshi.core.bulk" or n.startswith("luoshi.core.bulk.") for n in names):
            found.append(Finding(relpath, node.lineno, _snippet(node)))
    return found


@pytest.mark.parametrize(
    "source",
    [
        "from luoshi.core import bulk\n",
        "from luoshi.core.bulk import update_rows\n",
        "import luoshi.core.bulk\n",
    ],
)
def test_a_bulk_import_is_found(source):
    assert bulk_writers(source, "luoshi/ledger/views.py")


def test_only_services_use_the_raw_bulk_writer():
    """core.bulk writes past the ORM's save/update calls, so only service modules (which check
    the actor and record the audit) may import it."""
    findings = []
    for path in _python_files(PACKAGE):
        relpath = _rel(path, PACKAGE)
        if is_write_checked(relpath) and relpath != "luoshi/core/bulk.py":
            findings += bulk_writers(path.read_text(encoding="utf-8"), relpath)
    assert not findings, "core.bulk imported outside a service module:\n" + _report(findings)


# ---------------------------------------------------------------------------------------------
# 3. No app imports another app's private names
# ---------------------------------------------------------------------------------------------

# Underscore names that are Django's public API on models.
_PUBLIC_UNDERSCORE = frozenset({"_meta", "_default_manager", "_base_manager", "_state"})


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_name(relpath: str) -> str:
    parts = list(Path(relpath).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _app(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def private_imports(source: str, relpath: str) -> list[Finding]:
    """Imports (and uses through an imported module) of another luoshi app's underscore names
    or modules. Within an app, private names are free."""
    module = _module_name(relpath)
    root = module.split(".")[0]
    package = module if relpath.endswith("__init__.py") else module.rpartition(".")[0]
    app = _app(module)
    tree = _parse(source, relpath)
    findings = []
    foreign_aliases: set[str] = set()

    def foreign(target: str) -> bool:
        return target.split(".")[0] == root and _app(target) != app

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if not foreign(target):
                continue
            private_path = any(_is_private(p) for p in target.split("."))
            for alias in node.names:
                if private_path or _is_private(alias.name):
                    findings.append(Finding(relpath, node.lineno, _snippet(node)))
                    break
                foreign_aliases.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if not foreign(alias.name):
                    continue
                if any(_is_private(p) for p in alias.name.split(".")):
                    findings.append(Finding(relpath, node.lineno, _snippet(node)))
                elif alias.asname:
                    foreign_aliases.add(alias.asname)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in foreign_aliases
            and _is_private(node.attr)
            and node.attr not in _PUBLIC_UNDERSCORE
        ):
            findings.append(Finding(relpath, node.lineno, _snippet(node)))
    return sorted(findings)


def private_imports_in(package: Path) -> list[Finding]:
    findings = []
    for path in _python_files(package):
        relpath = _rel(path, package)
        findings += private_imports(path.read_text(encoding="utf-8"), relpath)
    return sorted(findings)


@pytest.mark.parametrize(
    ("relpath", "source"),
    [
        ("luoshi/dispatch/api.py", "from luoshi.ledger.api import _version"),
        ("luoshi/dispatch/api.py", "from luoshi.ledger.api import TaskSerializer, _version"),
        ("luoshi/dispatch/api.py", "from ..ledger.api import _version"),
        ("luoshi/dispatch/api.py", "def f():\n    from luoshi.ledger.api import _version"),
        ("luoshi/demo/workbooks.py", "from luoshi.ledger._numbers import cn_number"),
        ("luoshi/demo/workbooks.py", "import luoshi.ledger._numbers"),
        ("luoshi/demo/workbooks.py", "from luoshi.ledger import exporter\nexporter._cn_number(1)"),
        ("luoshi/demo/workbooks.py", "from luoshi.ledger import exporter as ex\nex._cn_number(1)"),
        ("luoshi/dispatch/tests/test_x.py", "from luoshi.ledger.services import _log"),
        ("luoshi/urls.py", "from luoshi.ledger.views import _page"),
    ],
)
def test_a_private_import_from_another_app_is_found(relpath, source):
    assert len(private_imports(source, relpath)) == 1, source


@pytest.mark.parametrize(
    ("relpath", "source"),
    [
        ("luoshi/ledger/views.py", "from luoshi.ledger.api import _version"),
        ("luoshi/dispatch/attachments.py", "from .services import _check_editable"),
        ("luoshi/ledger/importer/service.py", "from ..services import _log"),
        ("luoshi/ledger/importer/__init__.py", "from .service import _commit"),
        ("luoshi/dispatch/api.py", "from luoshi.ledger.api import version_of"),
        ("luoshi/dispatch/api.py", "from luoshi.ledger import __version__"),
        ("luoshi/dispatch/api.py", "from luoshi.ledger.models import Task\nTask._meta.get_field"),
        ("luoshi/dispatch/api.py", "from django.utils.translation import gettext as _"),
        ("luoshi/dispatch/api.py", "from rest_framework import _private"),
    ],
)
def test_an_allowed_import_is_not_found(relpath, source):
    assert private_imports(source, relpath) == [], source


def test_no_app_imports_another_apps_private_names():
    findings = private_imports_in(PACKAGE)
    if findings:
        pytest.fail(
            "Private names imported from another app. Make the name public in its app (no "
            "underscore, documented) or move the caller:\n" + _report(findings),
            pytrace=False,
        )


# ---------------------------------------------------------------------------------------------
# 4. Writes that Django and DRF make for us
# ---------------------------------------------------------------------------------------------
# The AST check sees only calls written in luoshi. A ModelAdmin, a DRF create/update/destroy
# mixin or a generic edit view writes through methods it inherits (save_model, perform_create,
# form_valid ...), so each of those must be overridden in luoshi (to call a service) or the
# write switched off (the admin's has_*_permission returns False).


def _overridden(cls: type, name: str) -> bool:
    """Whether cls gets `name` from luoshi code rather than from Django's or DRF's default."""
    for klass in cls.__mro__:
        if name in vars(klass):
            return klass.__module__.split(".")[0] == "luoshi"
    return False


class _Superuser:
    """Enough of a user for ModelAdmin.has_*_permission: may do anything Django allows."""

    is_active = is_staff = is_superuser = is_authenticated = True
    pk = id = 0

    def has_perm(self, perm, obj=None):
        return True

    def has_perms(self, perms, obj=None):
        return True

    def has_module_perms(self, app_label):
        return True


def admin_default_writes(model_admin) -> list[str]:
    """The writes a ModelAdmin allows but leaves to Django's defaults."""
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = _Superuser()
    cls = type(model_admin)
    needed = []
    if model_admin.has_add_permission(request) or model_admin.has_change_permission(request):
        needed.append("save_model")
        if model_admin.inlines:
            needed.append("save_formset")
    if model_admin.has_delete_permission(request):
        needed += ["delete_model", "delete_queryset"]
    return [f"{cls.__module__}.{cls.__qualname__}.{n}" for n in needed if not _overridden(cls, n)]


def view_default_writes(cls: type) -> list[str]:
    """The writes a view class inherits from DRF's mixins or Django's generic edit views."""
    from django.views.generic.edit import DeletionMixin, ModelFormMixin
    from rest_framework import mixins

    hooks = [
        (mixins.CreateModelMixin, ("perform_create", "create")),
        (mixins.UpdateModelMixin, ("perform_update", "update", "partial_update")),
        (mixins.DestroyModelMixin, ("perform_destroy", "destroy")),
        (ModelFormMixin, ("form_valid",)),
        (DeletionMixin, ("form_valid", "delete", "post")),
    ]
    return [
        f"{cls.__module__}.{cls.__qualname__}.{names[0]}"
        for base, names in hooks
        if issubclass(cls, base) and not any(_overridden(cls, n) for n in names)
    ]


def _luoshi_view_classes() -> list[type]:
    from django.urls import URLResolver, get_resolver

    def patterns(resolver):
        for p in resolver.url_patterns:
            yield from patterns(p) if isinstance(p, URLResolver) else [p]

    classes = {
        getattr(p.callback, "cls", None) or getattr(p.callback, "view_class", None)
        for p in patterns(get_resolver())
    }
    return sorted(
        (c for c in classes if c is not None and c.__module__.split(".")[0] == "luoshi"),
        key=lambda c: (c.__module__, c.__qualname__),
    )


def test_an_admin_left_to_django_defaults_is_found():
    from django.contrib import admin

    from luoshi.core.models import CalendarDay

    site = admin.AdminSite()

    class Plain(admin.ModelAdmin):
        pass

    class Overridden(admin.ModelAdmin):
        def save_model(self, request, obj, form, change): ...
        def delete_model(self, request, obj): ...
        def delete_queryset(self, request, queryset): ...

    class ReadOnly(admin.ModelAdmin):
        def has_add_permission(self, request):
            return False

        def has_change_permission(self, request, obj=None):
            return False

        def has_delete_permission(self, request, obj=None):
            return False

    missing = admin_default_writes(Plain(CalendarDay, site))
    assert [m.rpartition(".")[2] for m in missing] == [
        "save_model",
        "delete_model",
        "delete_queryset",
    ]
    assert admin_default_writes(Overridden(CalendarDay, site)) == []
    assert admin_default_writes(ReadOnly(CalendarDay, site)) == []


def test_a_view_left_to_drf_or_django_defaults_is_found():
    from django.views.generic import CreateView, DeleteView, DetailView
    from rest_framework import mixins, viewsets

    class Creates(mixins.CreateModelMixin, viewsets.GenericViewSet):
        pass

    class CreatesThroughService(mixins.CreateModelMixin, viewsets.GenericViewSet):
        def perform_create(self, serializer): ...

    class Edits(CreateView):
        pass

    class Deletes(DeleteView):
        pass

    assert [m.rpartition(".")[2] for m in view_default_writes(Creates)] == ["perform_create"]
    assert view_default_writes(CreatesThroughService) == []
    assert [m.rpartition(".")[2] for m in view_default_writes(Edits)] == ["form_valid"]
    assert [m.rpartition(".")[2] for m in view_default_writes(Deletes)] == ["form_valid"]
    assert view_default_writes(DetailView) == []


def test_no_admin_writes_through_django_defaults():
    from django.contrib import admin

    missing = [
        name
        for model, model_admin in admin.site._registry.items()
        if model.__module__.split(".")[0] == "luoshi"
        for name in admin_default_writes(model_admin)
    ]
    if missing:
        pytest.fail(
            "Admin writes left to Django's defaults (no service, no audit record). Override "
            "each to call a service, or return False from the matching has_*_permission:\n"
            + "\n".join(sorted(missing)),
            pytrace=False,
        )


def test_no_view_writes_through_drf_or_django_defaults():
    missing = [name for cls in _luoshi_view_classes() for name in view_default_writes(cls)]
    assert _luoshi_view_classes(), "no luoshi view classes found: the URL walk is broken"
    if missing:
        pytest.fail(
            "Views and API endpoints writing through inherited defaults. Override each to "
            "call a service:\n" + "\n".join(missing),
            pytrace=False,
        )


# ---------------------------------------------------------------------------------------------
# 4. Every field says what it is, in the user's language
# ---------------------------------------------------------------------------------------------


def test_every_model_field_has_a_translated_label():
    """A field without a verbose name shows its attribute name ("requested by", "task") in
    the admin, in form errors and in the history, untranslated. Every field of the project's
    models names itself through gettext_lazy."""
    from django.apps import apps
    from django.utils.functional import Promise

    bare = []
    for model in apps.get_models():
        if not model.__module__.startswith("luoshi."):
            continue
        if not isinstance(model._meta.verbose_name, Promise):
            bare.append(f"{model._meta.label} (the model)")
        for f in model._meta.get_fields():
            if f.auto_created or not f.concrete:
                continue
            if not isinstance(f.verbose_name, Promise):
                bare.append(f"{model._meta.label}.{f.name}")
    assert not bare, "give these a verbose_name=_(...):\n" + "\n".join(bare)
