"""``skal.web`` is a client of ``skal.session``'s public API: no module of
``skal/web`` imports a private name of the session package, nor reads a
private attribute of a session object (issue 19)."""

import ast
from pathlib import Path

import pytest

import skal.web

WEB = Path(skal.web.__file__).parent


def _absolute(node, package):
    """The module an ``ImportFrom`` node names, made absolute."""
    if not node.level:
        return node.module or ""
    parts = package.split(".")
    base = parts[: len(parts) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _private(name):
    return name.startswith("_") and not name.startswith("__")


def private_session_uses(source, package="skal.web"):
    """``(line, what)`` of every use of a private part of ``skal.session`` in
    ``source`` (the text of a module of ``package``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            module = _absolute(node, package)
            names = [alias.name for alias in node.names]
            if module == "skal":  # from .. import session / _x
                continue
            if module == "skal.session" or module.startswith("skal.session."):
                inner = module.split(".")[2:]
                if any(_private(part) for part in inner):
                    found.append((node.lineno, f"from {module} import ..."))
                found += [
                    (node.lineno, f"{module}.{name}")
                    for name in names
                    if _private(name)
                ]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[:2] == ["skal", "session"] and any(map(_private, parts[2:])):
                    found.append((node.lineno, f"import {alias.name}"))
        elif isinstance(node, ast.Attribute) and _private(node.attr):
            owner = node.value
            if (isinstance(owner, ast.Name) and owner.id == "session") or (
                isinstance(owner, ast.Attribute) and owner.attr == "session"
            ):
                found.append((node.lineno, f"session.{node.attr}"))
    return found


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from ..session._rows import plain_text", ["from skal.session._rows"]),
        ("from ..session import _fail, SessionError", ["skal.session._fail"]),
        ("from skal.session._session import x", ["from skal.session._session"]),
        ("import skal.session._report", ["import skal.session._report"]),
        ("def f():\n    from ..session._report import _cv_score", ["_report", "_cv"]),
        ("x = session._untrusted", ["session._untrusted"]),
        ("x = self.session._lock.release()", ["session._lock"]),
        ("from ..session import LabelingSession, plain_text", []),
        ("from ._service import _event_json", []),  # web's own private names
        ("x = self._retrainer.busy; y = session.state", []),
    ],
)
def test_the_checker_sees_private_uses(source, expected):
    found = " ".join(what for _, what in private_session_uses(source))
    assert all(piece in found for piece in expected), found
    assert bool(found) == bool(expected), found


def test_web_uses_only_the_public_session_api():
    modules = sorted(WEB.glob("*.py"))
    assert {m.name for m in modules} >= {"_service.py", "_background.py", "_app.py"}
    offenders = {
        module.name: uses
        for module in modules
        for uses in [private_session_uses(module.read_text(encoding="utf-8"))]
        if uses
    }
    assert offenders == {}
