"""The direction of dependency, read from the code: the architecture of the README, checked.

The project's modules are walked with ``ast``; every project import becomes an arrow from one module to
another. The test fails on

- an arrow against the layers below (a lower layer importing a higher one);
- a circle between modules, whatever the layers;
- a service (any module but a view, a receiver or the roof) importing a ``tasks`` module: tasks import
  services, and views and receivers queue tasks on commit;
- a project import inside a function, except those named in ``LAZY_IMPORTS_ALLOWED`` with their reason.
"""
import ast
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
# Import name -> folder (site/ is installed as `academy`, pyproject.toml).
PACKAGES = {"academy": "site", "courses": "courses", "certification": "certification", "analytics": "analytics"}

# From the bottom up. A module may import its own layer's modules and any lower layer's, never a higher one.
LAYERS = [
    ("ground", "academy top-level modules (pdf, spreadsheets, storage, widgets, jobs, http): no app"),
    ("audit", "academy.audit: the audit trail every service records into"),
    ("accounts", "academy.accounts: users, roles, sign-in, notifications; knows people only by their keys"),
    ("organisation", "academy.organisation: regions, institutions, people, posts, scope, roster (gives people accounts)"),
    ("home", "academy.home: Wagtail home and standard pages, shared blocks"),
    ("courses", "courses: pages, progress, exams, sessions, plans and their coverage counts"),
    ("certification", "certification: rules, applications, sessions, scoring, certificates"),
    ("analytics", "analytics: reads the apps below through their selectors; nobody imports it"),
    ("roof", "settings, urls, wsgi/asgi, the Celery app and academy.demo: may import anything"),
]
LAYER_RANK = {name: rank for rank, (name, _why) in enumerate(LAYERS)}
# The package itself loads the Celery app, as Celery asks.
ROOF_MODULES = {"academy.urls", "academy.lean_urls", "academy.wsgi", "academy.asgi", "academy.celery_app"}
ROOF_PACKAGES = ("academy.settings", "academy.demo")

# module -> {imported module: reason}. Each is a lazy import kept on purpose; anything else is a defect.
READY = "AppConfig.ready() connects its own app's receivers: the app registry must be ready first"
LAZY_IMPORTS_ALLOWED = {
    "academy.accounts.apps": {"academy.accounts.receivers": READY},
    "academy.organisation.apps": {"academy.organisation.receivers": READY},
    "courses.apps": {
        "courses.receivers": READY,
        "courses.checks": "ready() registers the app's system checks, as Django's own apps do",
        "courses.reminder_tasks": "ready() registers the reminder tasks, which Celery's autodiscovery (tasks.py only) misses",
    },
    "certification.apps": {
        "certification.receivers": READY,
        "certification.rules": "the post_migrate receiver seeds the default rule set; rules imports models",
    },
    "analytics.apps": {"analytics.receivers": READY},
    "courses.models": {"courses.pages": "page models call their pages.py, as Wagtail's contrib/forms does"},
}


def allowed_lazily(module: str, target: str) -> bool:
    return target in LAZY_IMPORTS_ALLOWED.get(module, {})


def layer_of(module: str) -> str:
    if module == "academy" or module in ROOF_MODULES or module.startswith(ROOF_PACKAGES):
        return "roof"
    parts = module.split(".")
    if parts[0] == "academy":
        if len(parts) == 2 and not (REPOSITORY / "site" / parts[1]).is_dir():
            return "ground"
        return parts[1] if len(parts) > 1 else "ground"
    return parts[0]


def project_modules() -> dict[str, Path]:
    modules = {}
    for package, folder in PACKAGES.items():
        for path in (REPOSITORY / folder).rglob("*.py"):
            relative = path.relative_to(REPOSITORY / folder).with_suffix("")
            if "migrations" in relative.parts or "locale" in relative.parts:
                continue
            parts = [package, *relative.parts]
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def imports_of(module: str, path: Path, modules: dict) -> list[tuple[str, bool, int]]:
    """(imported project module, inside a function?, line) for every project import of ``module``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if is_package(path) else module.rpartition(".")[0]
    found = []

    def resolve(name):
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            targets = []
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)] if child.level > 1 else base
                    source = ".".join(base + ([child.module] if child.module else []))
                else:
                    source = child.module or ""
                # `from package import module` imports the module; `from module import name` the module.
                targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                           for alias in child.names]
            for target in targets:
                if target.split(".")[0] in PACKAGES:
                    resolved = resolve(target)
                    if resolved and resolved != module:
                        found.append((resolved, in_function, child.lineno))
            visit(child, nested)

    visit(tree, False)
    return found


def graph():
    modules = project_modules()
    return modules, {module: imports_of(module, path, modules) for module, path in modules.items()}


def may_queue_tasks(module: str) -> bool:
    last = module.split(".")[-1]
    return (layer_of(module) == "roof" or last in {"receivers", "tasks"} or last.startswith("views")
            or ".views" in module)


def test_no_arrow_against_the_layers():
    _modules, arrows = graph()
    wrong = [
        f"{module} ({layer_of(module)}) imports {target} ({layer_of(target)}) at line {line}"
        for module, targets in arrows.items()
        for target, _lazy, line in targets
        if LAYER_RANK[layer_of(target)] > LAYER_RANK[layer_of(module)]
    ]
    assert not wrong, "\n".join(wrong)


def test_services_never_import_tasks():
    _modules, arrows = graph()
    wrong = [
        f"{module} imports {target} at line {line}"
        for module, targets in arrows.items()
        for target, _lazy, line in targets
        if target.split(".")[-1] == "tasks" and not may_queue_tasks(module)
    ]
    assert not wrong, "\n".join(wrong)


def test_no_project_import_inside_a_function():
    _modules, arrows = graph()
    wrong = [
        f"{module} imports {target} inside a function at line {line}"
        for module, targets in arrows.items()
        for target, lazy, line in targets
        if lazy and not allowed_lazily(module, target)
    ]
    assert not wrong, "\n".join(wrong)


def test_no_circle_between_modules():
    _modules, arrows = graph()
    # An allowed lazy import runs after both modules are loaded: it is the one way back, not a circle.
    edges = {
        module: sorted({target for target, lazy, _line in targets if not (lazy and allowed_lazily(module, target))})
        for module, targets in arrows.items()
    }
    circles = []
    state = {}  # module -> "open" while on the path, "done" after

    def walk(module, path):
        state[module] = "open"
        for target in edges.get(module, []):
            if state.get(target) == "open":
                circles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                walk(target, path + [target])
        state[module] = "done"

    for module in sorted(edges):
        if module not in state:
            walk(module, [module])
    assert not circles, "\n".join(circles)


def test_the_layers_know_every_module():
    modules, _arrows = graph()
    unknown = sorted(module for module in modules if layer_of(module) not in LAYER_RANK)
    assert not unknown, unknown
