"""The package's import graph: no circles, no import that runs up the layers.

Layers, from the bottom (``doc/architecture`` in the design guide):

* ``utils`` — below everything;
* ``strategies``, ``stopping``, ``schedules``, ``oracles``, ``label_quality``,
  ``metrics``, ``datasets``, ``evaluation`` — the pieces the loop is made of;
* the learner (``skal/__init__``, ``_learner`` and its private helpers) and
  ``stream``;
* ``registry``, ``model_selection``, ``plotting`` — built on the learner's
  public API;
* ``session`` — the labeling journal;
* ``web`` — a client of the session;
* ``cli`` (and ``__main__``) — on top.

Every import is counted, at module level or inside a function: an import
deferred into a function still ties the two modules together.
"""

import ast
import pathlib

import pytest

SKAL = pathlib.Path(__file__).resolve().parents[1] / "skal"

LAYERS = [
    {"utils"},
    {
        "strategies",
        "stopping",
        "schedules",
        "oracles",
        "label_quality",
        "annotators",
        "metrics",
        "datasets",
        "evaluation",
    },
    {"skal", "stream"},  # "skal": the package's face and its private modules
    {"registry", "model_selection", "plotting", "scoreboard"},
    {"session"},
    {"web"},
    {"cli", "__main__"},
]
RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}


def _module_name(path):
    parts = list(path.relative_to(SKAL.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(path): path for path in SKAL.rglob("*.py")}


def _is_package(name):
    return MODULES[name].name == "__init__.py"


def _package(name):
    return name if _is_package(name) else name.rpartition(".")[0]


def _imported_modules_of(node, name):
    package = _package(name)
    if node.level:
        base = package.split(".")
        base = base[: len(base) - (node.level - 1)]
        return [".".join(base + ([node.module] if node.module else []))]
    return [node.module or ""]


def _imported_modules(name):
    """The skal modules that module ``name`` imports, anywhere in its body."""
    path = MODULES[name]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            (target,) = _imported_modules_of(node, name)
            submodules = {f"{target}.{alias.name}" for alias in node.names}
            submodules &= MODULES.keys()
            found |= submodules  # ``from . import module``: the module only
            if len(submodules) < len(node.names):
                found.add(target)
    return {module for module in found if module in MODULES and module != name}


GRAPH = {name: _imported_modules(name) for name in MODULES}


def _part(name):
    parts = name.split(".")
    if len(parts) == 1:
        return "skal"
    part = parts[1]
    return part if part in RANK else "skal"  # _learner, _training, ...


def test_every_module_has_a_layer():
    for name in MODULES:
        assert _part(name) in RANK, name


def test_layers_are_read_off_real_imports():
    # the graph is not empty by accident: known edges are seen
    assert "skal._learner" in GRAPH["skal"]
    assert any(target.startswith("skal.utils") for target in GRAPH["skal._learner"])


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_import_runs_up_the_layers(name):
    upward = [
        target
        for target in sorted(GRAPH[name])
        if RANK[_part(target)] > RANK[_part(name)]
    ]
    assert not upward, (
        f"{name} ({_part(name)}) imports {upward}, which sit higher: "
        "move the shared piece down (utils, or make it public in its layer)"
    )


def _circles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_circle_finder_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c"]
    ]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle():
    # A package's ``__init__`` re-exports its modules; a module of that
    # package importing the package face back is still a circle.
    circles = _circles(GRAPH)
    assert not circles, f"import circles: {circles}"


def test_no_package_imports_private_names_of_another():
    offenders = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            targets = [t for t in _imported_modules_of(node, name) if t in MODULES]
            for target in targets:
                if _part(target) in (_part(name), "utils"):
                    continue  # utils: the package's shared internals
                private_module = (
                    any(
                        piece.startswith("_") and piece != "__init__"
                        for piece in target.split(".")[1:]
                    )
                    and _part(target) != "skal"
                )
                private_names = [
                    alias.name
                    for alias in node.names
                    if alias.name.startswith("_")
                    and not alias.name.startswith("__")
                    and f"{target}.{alias.name}" not in MODULES
                ]
                if private_module or private_names:
                    offenders.append(f"{name} <- {target} {private_names}")
    assert not offenders, "\n".join(offenders)
