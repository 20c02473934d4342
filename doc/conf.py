"""Sphinx configuration of the skal documentation.

Build: ``python -m sphinx -W --keep-going -b html doc doc/_build/html``. The
gallery (``examples/``) runs in its small "smoke" setting; set
``SKAL_EXAMPLES_FULL=1`` to run the full-size examples instead.
"""

import sys
from pathlib import Path

import matplotlib
from threadpoolctl import threadpool_limits

matplotlib.use("Agg")
# The examples fit many tiny models: BLAS threads only add overhead there (and
# stall on a busy machine), so the build runs them with one.
threadpool_limits(limits=1, user_api="blas")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import skal  # noqa: E402

project = "skal"
author = "the skal developers"
copyright = "2026, the skal developers"
version = release = skal.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "generated/*.examples", "sg_execution_times.rst"]
html_theme = "alabaster"
html_static_path = ["_static"]
html_theme_options = {
    "description": "Active learning as a scikit-learn estimator",
    "fixed_sidebar": True,
}

autosummary_generate = True
autodoc_default_options = {"members": False, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "reset_modules": ("matplotlib",),
    "backreferences_dir": "generated",
    "doc_module": ("skal",),
}

# Pages written alongside the code (benchmarks, the adaptive loop, scaling)
# join the table of contents when they exist, so that a build never refers to
# a page that is not there yet.
OPTIONAL_PAGES = [
    "benchmarks_strategies",
    "adaptive",
    "scaling",
    "transfer",
    "oracles",
    "multilabel",
    "stream",
    "labeling",
    "annotators",
    "honest_estimates",
    "semi_supervised",
    "web",
    "errors",
    "performance",
]


# The API reference lists each module's ``__all__`` (classes and functions), so
# that a strategy added to the package appears without an edit here.
API_MODULES = [
    "skal",
    "skal.strategies",
    "skal.schedules",
    "skal.stopping",
    "skal.oracles",
    "skal.label_quality",
    "skal.annotators",
    "skal.stream",
    "skal.registry",
    "skal.session",
    "skal.evaluation",
    "skal.model_selection",
    "skal.scoreboard",
    "skal.metrics",
    "skal.datasets",
    "skal.plotting",
]


def _api_section(module_name):
    import importlib

    module = importlib.import_module(module_name)
    names = [
        name
        for name in getattr(module, "__all__", [])
        if not name.startswith("_") and callable(getattr(module, name, None))
    ]
    title = f":mod:`{module_name}`"
    lines = [
        title,
        "-" * len(title),
        "",
        f".. automodule:: {module_name}",
        "   :no-members:",
        "   :no-index:",
        "",
        f".. currentmodule:: {module_name}",
        "",
        ".. autosummary::",
        "   :toctree: .",
        "",
    ]
    lines += [f"   {name}" for name in names]
    return "\n".join(lines) + "\n\n"


def _write_api_reference():
    """``generated/api.rst``: written before autosummary scans the sources."""
    heading = "API reference"
    text = (
        f"{heading}\n{'=' * len(heading)}\n\n"
        "Every public class and function, module by module.\n\n"
        + "".join(_api_section(name) for name in API_MODULES)
    )
    target = HERE / "generated" / "api.rst"
    target.parent.mkdir(exist_ok=True)
    if not target.is_file() or target.read_text() != text:
        target.write_text(text)


_write_api_reference()


def _optional_pages(app, docname, source):
    if docname == "index":
        present = [page for page in OPTIONAL_PAGES if (HERE / f"{page}.rst").is_file()]
        lines = "\n".join(f"   {page}" for page in present)
        source[0] = source[0].replace("   OPTIONAL_PAGES", lines)


def _reread_index(app, env, added, changed, removed):
    """The table of contents depends on which optional pages exist: re-read it."""
    return ["index"]


def setup(app):
    app.connect("source-read", _optional_pages)
    app.connect("env-get-outdated", _reread_index)
