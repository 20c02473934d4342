"""skal: active learning as a first-class scikit-learn estimator.

``import skal`` is cheap: :class:`ActiveLearner`, and scikit-learn with it, is
imported the first time it is used (a module ``__getattr__``, PEP 562), so that
``skal --version`` and a command that fails on its arguments answer at once.
"""

__version__ = "0.1.0"

__all__ = ["ActiveLearner", "__version__"]


def __getattr__(name):
    if name == "ActiveLearner":
        from ._learner import ActiveLearner

        globals()["ActiveLearner"] = ActiveLearner  # once: no further lookups
        return ActiveLearner
    raise AttributeError(f"module 'skal' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
