"""The Python package's structure: its modules import each other without a cycle (counting
imports inside functions), and each shared piece is defined in one place."""

from __future__ import annotations

import ast
import pathlib

import turboboard

PACKAGE = pathlib.Path(turboboard.__file__).parent
MODULES = {path.stem: ast.parse(path.read_text()) for path in sorted(PACKAGE.glob("*.py"))}


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    return {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
        for statement in node.body
        for inner in ast.walk(statement)
    }


def imports(tree: ast.Module) -> set[str]:
    """The package's modules that ``tree`` imports, anywhere but under ``TYPE_CHECKING``."""
    skipped = _type_checking_nodes(tree)
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found.update(
                [node.module.split(".")[0]] if node.module else [a.name for a in node.names]
            )
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
            name = node.args[0]
            if isinstance(name, ast.Constant) and name.value.startswith("."):
                found.add(name.value[1:])
    return found & set(MODULES)


GRAPH = {name: imports(tree) - {name} for name, tree in MODULES.items()}


def test_the_import_graph_has_no_cycle():
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        assert name not in path, f"import cycle: {' -> '.join([*path, name])}"
        if name not in done:
            for imported in sorted(GRAPH[name]):
                visit(imported, [*path, name])
            done.add(name)

    for name in GRAPH:
        visit(name, [])


def test_the_check_sees_function_level_imports():
    tree = ast.parse("def f():\n    from .writer import SummaryWriter\n")
    assert imports(tree) == {"writer"}


def definitions(name: str) -> list[str]:
    """The modules that define ``name`` at module level or in a class body."""
    found = []
    for module, tree in MODULES.items():
        skipped = _type_checking_nodes(tree)
        bodies = [tree.body] + [c.body for c in tree.body if isinstance(c, ast.ClassDef)]
        for statement in (s for body in bodies for s in body if id(s) not in skipped):
            targets = (
                [t.id for t in statement.targets if isinstance(t, ast.Name)]
                if isinstance(statement, ast.Assign)
                else [getattr(statement, "name", None)]
            )
            found.extend(module for target in targets if target == name)
    return found


def test_step_and_the_way_to_the_core_are_defined_once():
    assert definitions("Step") == ["_convert"]
    for member in ("_writer_core", "_when", "_step", "_get_file_writer"):
        assert definitions(member) == ["_base"], member
    assert definitions("ArgumentError") == ["_errors"]
