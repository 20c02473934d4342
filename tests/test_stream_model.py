"""The stream learner's model snapshot: a deep copy, only faster."""

import copy

import numpy as np
from sklearn.linear_model import SGDClassifier
from sklearn.neural_network import MLPClassifier

from skal.stream._model import snapshot


def fitted(model):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 4)), rng.integers(0, 2, 60)
    return model.partial_fit(X, y, classes=[0, 1]), X, y


def test_snapshot_learns_apart_from_the_model_and_like_a_deepcopy():
    for model in (
        SGDClassifier(loss="log_loss", random_state=0),
        MLPClassifier(hidden_layer_sizes=(3,), random_state=0),
    ):
        model, X, y = fitted(model)
        before = copy.deepcopy(model)
        fast, slow = snapshot(model), copy.deepcopy(model)
        fast.partial_fit(X[::-1], y[::-1])
        slow.partial_fit(X[::-1], y[::-1])
        # the snapshot learned exactly as a deep copy would...
        np.testing.assert_array_equal(fast.predict_proba(X), slow.predict_proba(X))
        # ...and the model it was taken from did not move
        np.testing.assert_array_equal(model.predict_proba(X), before.predict_proba(X))


def test_snapshot_keeps_aliases_and_copies_arrays():
    model, _, _ = fitted(SGDClassifier(random_state=0))
    model.alias_ = model.coef_
    model.box_ = {"coef": model.coef_}
    copied = snapshot(model)
    assert copied.alias_ is copied.coef_ is copied.box_["coef"]
    assert copied.coef_ is not model.coef_
    copied.coef_ += 1.0
    assert not np.array_equal(copied.coef_, model.coef_)


class Locked(SGDClassifier):
    """A model whose state leaves out what cannot be copied."""

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("lock_", None)
        return state


def test_snapshot_defers_to_a_model_that_customises_its_state():
    import threading

    model, X, _ = fitted(Locked(random_state=0))
    model.lock_ = threading.Lock()  # deepcopy would fail on it, were it kept
    copied = snapshot(model)
    assert not hasattr(copied, "lock_")
    np.testing.assert_array_equal(copied.predict(X), model.predict(X))


class Counter:
    """No ``__dict__``, and state that a deep copy carries over."""

    __slots__ = ("count",)

    def __init__(self, count=0):
        self.count = count

    def __reduce__(self):
        return (Counter, (self.count,))


class Stateless:
    """No ``__dict__``, no state: a deep copy is ``Stateless()``."""

    __slots__ = ()

    def __reduce__(self):
        return (Stateless, ())


def test_snapshot_shares_values_without_state_and_copies_the_others():
    model, _, _ = fitted(SGDClassifier(loss="log_loss", random_state=0))
    model.stateless_, model.counter_ = Stateless(), Counter(3)
    copied = snapshot(model)
    # scikit-learn's compiled loss reduces to its class alone: shared
    assert model._loss_function_.__reduce_ex__(4) == (
        type(model._loss_function_),
        (),
    )
    assert copied._loss_function_ is model._loss_function_
    assert copied.stateless_ is model.stateless_
    # a value whose reduction carries arguments is copied, as deepcopy does
    assert copied.counter_ is not model.counter_ and copied.counter_.count == 3
    copied.counter_.count += 1
    assert model.counter_.count == 3
