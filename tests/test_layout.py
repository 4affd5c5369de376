"""The package's layout shows its design: imports flow one way, with no cycles and no
private names taken from another module.

The layers, lowest first (a module may import from its own layer or a lower one):

    core        the op table, the walk, grad modes, Value, Tensor (and files, sources:
                utilities that import nothing of the package)
    models      nn, losses, optim, interop, data, metrics
    viz         Graphviz drawing and the one number/label formatter
    debug       stepper, explain, gradcheck, torch comparison, terminal, explorer, frames
    programs    train, examples, demos, tour
    cli         the command line

Every import is read from the source (module level and inside functions), so a lazy import
that hides a cycle is caught as well.
"""

from __future__ import annotations

import ast
from pathlib import Path

import micrograd_plus

PACKAGE = Path(micrograd_plus.__file__).parent
LAYERS = {
    "core": 0, "files": 0, "sources": 0, "engine": 0,
    "nn": 1, "losses": 1, "optim": 1, "interop": 1, "data": 1, "metrics": 1,
    "viz": 2,
    "debug": 3,
    "train": 4, "examples": 4, "demos": 4, "tour": 4,
    "cli": 5, "__main__": 5,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join(base + ([target] if target else []))


def _imports(name: str) -> list[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every package import in ``name``."""
    path = MODULES[name]
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                target = _resolve(name, is_package, node.level, node.module)
            elif node.module and node.module.startswith("micrograd_plus"):
                target = node.module
            else:
                continue
            names = [a.name for a in node.names]
            # `from . import nn` imports the module micrograd_plus.nn
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            if submodules and len(submodules) == len(names):
                found += [(m, [], node.lineno) for m in submodules]
            else:
                found.append((target, names, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names
                      if a.name.startswith("micrograd_plus.")]
    return found


def _layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:  # the package itself re-exports everything
        return max(LAYERS.values())
    return LAYERS[parts[1]]


def test_every_module_has_a_layer():
    missing = {m.split(".")[1] for m in MODULES if "." in m} - set(LAYERS)
    assert not missing, f"add {sorted(missing)} to LAYERS (and to the docstring)"


def test_imports_flow_down_the_layers():
    upward = []
    for name in MODULES:
        if name == "micrograd_plus":
            continue
        for target, _, line in _imports(name):
            if _layer(target) > _layer(name):
                upward.append(f"{name}:{line} imports {target}")
    assert not upward, "\n".join(upward)


def test_there_are_no_import_cycles():
    graph = {name: {t for t, _, _ in _imports(name) if t in MODULES and t != name}
             for name in MODULES}
    # a package's __init__ may import its own parts; a part importing its package's
    # __init__ (``from . import X``, X a name, not a module) would close a cycle
    state: dict[str, int] = {}
    for start in graph:
        if state.get(start):
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(child) == 1:
                cycle = path[path.index(child):] + [child]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            elif not state.get(child):
                state[child] = 1
                stack.append((child, iter(sorted(graph[child]))))
                path.append(child)


def test_no_private_names_are_imported_from_another_module():
    private = []
    for name in MODULES:
        for target, names, line in _imports(name):
            hidden = [n for n in names if n.startswith("_") and not n.endswith("__")]
            if any(p.startswith("_") and p != "__main__" for p in target.split(".")):
                hidden.append(target)
            if hidden and target != name:
                private.append(f"{name}:{line} imports {hidden} from {target}")
    assert not private, "\n".join(private)


def test_the_package_root_holds_only_the_top_of_each_concern():
    root = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert root == ["__init__", "__main__", "cli", "data", "engine", "files", "interop",
                    "losses", "metrics", "sources", "tour", "train"]
    packages = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))
    assert packages == ["core", "debug", "demos", "examples", "nn", "optim", "viz"]
