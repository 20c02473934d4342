"""skal: active learning as a first-class scikit-learn estimator.

``import skal`` is cheap: :class:`ActiveLearner` and :class:`CrowdLearner`, and
scikit-learn with them, are imported the first time they are used (a module
``__getattr__``, PEP 562), so that ``skal --version`` and a command that fails
on its arguments answer at once.
"""

__version__ = "0.1.0"

__all__ = ["ActiveLearner", "CrowdLearner", "__version__"]


def __getattr__(name):
    if name == "ActiveLearner":
        from ._learner import ActiveLearner as value
    elif name == "CrowdLearner":
        from ._crowd import CrowdLearner as value
    else:
        raise AttributeError(f"module 'skal' has no attribute {name!r}")
    globals()[name] = value  # once: no further lookups
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
