"""Property-based tests of ActiveLearner's guarantee, with Hypothesis.

The guarantee (``doc/errors.rst``): every public method either completes, and
then the learner's invariants hold, or raises a ``ValueError``/``TypeError``
that names the argument, and then the learner is exactly as it was.

:class:`LearnerMachine` is a :class:`hypothesis.stateful.RuleBasedStateMachine`
that fits a learner on small random data (dense, CSR, DataFrame or a list of
documents behind a TF-IDF pipeline; integer or string labels) and then runs a
random sequence of ``query``/``label``/``teach``/``partial_fit``/``set_params``/
pickle round trips/``fit`` with valid *and* invalid arguments. After every step
it checks:

* a valid call succeeded, an invalid one raised ``ValueError``/``TypeError``
  naming the argument;
* after a success: labeled rows and pool partition the rows of ``fit``'s ``X``,
  no row is labeled twice, ``history_`` adds up (``n_new`` sums to the labeled
  count, its ``indices`` are the labeled rows in order, no empty loop), and
  every label and row given comes back unchanged, with its type, from
  :meth:`~skal.ActiveLearner.get_labeled_data`; the model knows every class;
* after a failure: ``pickle.dumps`` of the learner's ``__dict__`` is
  byte-for-byte what it was.

Known defects (issue 10) are skipped by :func:`known_defect` guards, one per
defect, each named in :data:`KNOWN_DEFECTS`; each has its own strict-xfail
example test at the end of this file, and a reproducer in ``FINDINGS.md``.
Fixing a defect turns its xfail test into an XPASS failure: then delete the
entry of :data:`KNOWN_DEFECTS` and the ``xfail`` mark, and the machine checks
that input class again.

Profiles: ``ci`` (default: derandomized, 40 examples) and ``nightly`` (1000
examples, marked ``nightly``), chosen with the ``SKAL_HYPOTHESIS_PROFILE``
environment variable::

    python -m pytest -q tests/test_properties.py
    SKAL_HYPOTHESIS_PROFILE=nightly python -m pytest -q -m nightly \\
        tests/test_properties.py
"""

import os
import pickle
import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.pipeline import make_pipeline

from skal import ActiveLearner
from skal.schedules import batch_size_at

pd = pytest.importorskip("pandas")

# ------------------------------------------------------------------ profiles
settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=40,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    print_blob=True,
)
settings.register_profile(
    "nightly",
    max_examples=1000,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    print_blob=True,
)
PROFILE = os.environ.get("SKAL_HYPOTHESIS_PROFILE", "ci")

# ------------------------------------------------------------ known defects
#: Input classes the machine skips because of a known defect (issue 10). The
#: key names the defect; remove it once fixed (its xfail test below XPASSes).
KNOWN_DEFECTS = {}  # every defect it found is fixed (see CHANGELOG.md)


#: What a query may change: the random generator, the count of queries issued
#: and the strategies' memory of who picked (never labels, pool or model).
QUERY_CHANGES = ("_rng", "_query_count", "query_strategy_", "initial_strategy_")


def known_defect(key):
    """True (skip this input class) while defect ``key`` is not fixed."""
    if key in KNOWN_DEFECTS:
        event(f"skipped: known defect {key}")
        return True
    return False


# ---------------------------------------------------------------------- data
CLASSES = {"int": np.array([0, 1, 2]), "str": np.array(["ant", "bee", "cat"], object)}
MISSING = {"int": -1, "str": None}
WORDS = [
    ["goal", "match", "league", "cup"],
    ["vote", "senate", "bill", "minister"],
    ["cell", "gene", "protein", "enzyme"],
]
N_FEATURES = 3
COLUMNS = [f"f{j}" for j in range(N_FEATURES)]


class Source:
    """Rows and true classes of one data kind, drawn from a seed."""

    def __init__(self, kind, seed):
        self.kind = kind
        self.rng = np.random.RandomState(seed)
        self.centers = self.rng.normal(scale=3.0, size=(3, N_FEATURES))

    def draw(self, classes):
        """``(rows, dense)``: rows of this kind for ``classes``; ``dense`` the
        comparable form (a float array, or the list of documents)."""
        classes = np.asarray(classes, dtype=int)
        if self.kind == "text":
            docs = [
                " ".join(self.rng.choice(WORDS[c], size=3)) + " report" for c in classes
            ]
            return docs, list(docs)
        values = self.centers[classes] + self.rng.normal(
            size=(classes.size, N_FEATURES)
        )
        return as_kind(values, self.kind), values


def as_kind(values, kind, columns=COLUMNS):
    if kind == "sparse":
        return sp.csr_matrix(values)
    if kind == "frame":
        return pd.DataFrame(values, columns=columns[: values.shape[1]])
    return values


def comparable(X):
    """Rows as a float array or a list of documents, for equality checks."""
    if X is None:
        return None
    if isinstance(X, list):
        return list(X)
    if sp.issparse(X):
        return X.toarray()
    if hasattr(X, "to_numpy"):
        return X.to_numpy(dtype=float)
    return np.asarray(X, dtype=float)


def make_estimator(model, kind):
    if model == "sgd":
        return SGDClassifier(random_state=0, max_iter=20, tol=None)
    if model == "hgb":
        return HistGradientBoostingClassifier(max_iter=5, min_samples_leaf=2)
    lr = LogisticRegression(max_iter=200)
    return make_pipeline(TfidfVectorizer(), lr) if kind == "text" else lr


def labels_of(classes, label_kind):
    return CLASSES[label_kind][np.asarray(classes, dtype=int)]


# ------------------------------------------------------------- state checks
def frozen(learner):
    """The learner's whole state, byte for byte."""
    return {key: pickle.dumps(value) for key, value in vars(learner).items()}


def changed_keys(before, after):
    return sorted(
        key for key in before.keys() | after.keys() if before.get(key) != after.get(key)
    )


def names_argument(error, *names):
    text = str(error)
    return any(
        re.search(rf"(?<![A-Za-z_]){re.escape(n)}(?![A-Za-z_])", text) for n in names
    )


class LearnerMachine(RuleBasedStateMachine):
    """Random sequences of public calls on one ActiveLearner; see the module."""

    # --------------------------------------------------------------- setup
    @initialize(
        kind=st.sampled_from(["dense", "sparse", "frame", "text"]),
        label_kind=st.sampled_from(["int", "str"]),
        model=st.sampled_from(["lr", "lr", "sgd", "hgb"]),
        n_rows=st.integers(12, 60),
        seed=st.integers(0, 2**16),
        labeled_share=st.sampled_from([0.0, 0.1, 0.3, 0.6]),
        batch_size=st.integers(1, 4),
        fixed_classes=st.booleans(),
    )
    def setup(
        self,
        kind,
        label_kind,
        model,
        n_rows,
        seed,
        labeled_share,
        batch_size,
        fixed_classes,
    ):
        if kind == "text" or (kind == "sparse" and model == "hgb"):
            model = "lr"  # no partial_fit behind a TF-IDF pipeline; HGB is dense
        self.kind, self.label_kind, self.model = kind, label_kind, model
        self.source = Source(kind, seed)
        self.rng = np.random.RandomState(seed + 1)
        params = {"batch_size": batch_size, "random_state": seed}
        if model == "sgd":
            params["refit"] = "partial"
            if fixed_classes:
                params["classes"] = list(CLASSES[label_kind])
        self.learner = ActiveLearner(make_estimator(model, kind), **params)
        self.fit_new_data(n_rows, labeled_share)

    def fit_new_data(self, n_rows, labeled_share):
        classes = np.arange(n_rows) % 3
        self.rng.shuffle(classes)
        X, dense = self.source.draw(classes)
        y_true = labels_of(classes, self.label_kind)
        y = np.array(y_true, dtype=object if self.label_kind == "str" else int)
        unlabeled = self.rng.rand(n_rows) >= labeled_share
        y[unlabeled] = MISSING[self.label_kind]
        known = np.flatnonzero(~unlabeled)

        def fitted():
            self.X, self.dense, self.y_true = X, dense, y_true
            self.n_rows = n_rows
            # what get_labeled_data must give back: (rows, labels) in order
            self.given_rows = [self.row(i) for i in known]
            self.given_labels = list(y_true[known])
            self.last_query = np.empty(0, dtype=int)

        if not hasattr(self, "n_rows"):  # the first fit, in setup
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.learner.fit(X, y)
            fitted()
            self.assert_invariants()
        else:
            self.call(
                self.batch_size_ok(),  # fit checks batch_size up front
                ["batch_size"],
                lambda: self.learner.fit(X, y),
                on_success=fitted,
            )

    def row(self, i):
        return self.dense[i]

    # ---------------------------------------------------------- helpers
    @property
    def pool(self):
        learner = self.learner
        out = np.concatenate([learner.labeled_indices_, learner.abstained_indices_])
        return np.setdiff1d(np.arange(self.n_rows), out)

    def label_values(self, classes, as_list):
        labels = labels_of(classes, self.label_kind)
        return labels.tolist() if as_list else labels

    def call(self, valid, names, action, *, allowed_changes=(), on_success=None):
        """Run ``action``; check the outcome against ``valid``.

        ``valid``: True (must succeed), False (must raise a ValueError or
        TypeError naming one of ``names``) or None (either). Returns whether
        it succeeded. After a failure the state must be byte-identical;
        ``allowed_changes`` lists the attributes a success may change when the
        call is not meant to change the labeled state (a query);
        ``on_success`` updates the expected labeled data before the checks.
        """
        before = frozen(self.learner)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = action()
        except (ValueError, TypeError) as error:
            assert valid is not True, f"a valid call raised {error!r}"
            if valid is False:
                assert names_argument(error, *names), (
                    f"{type(error).__name__}: {error} does not name {names}"
                )
            diff = changed_keys(before, frozen(self.learner))
            assert not diff, f"failed call ({error!r}) changed {diff}"
            return False, None
        assert valid is not False, f"an invalid call naming {names} succeeded"
        if allowed_changes:
            diff = set(changed_keys(before, frozen(self.learner)))
            assert diff <= set(allowed_changes), f"query changed {sorted(diff)}"
        if on_success is not None:
            on_success()
        self.assert_invariants()
        return True, result

    def assert_invariants(self):
        learner = self.learner
        labeled = learner.labeled_indices_
        pool = self.pool
        # labeled rows and pool partition the rows of fit's X
        assert np.unique(labeled).size == labeled.size, "a row labeled twice"
        assert np.intersect1d(labeled, pool).size == 0
        np.testing.assert_array_equal(
            np.sort(np.r_[labeled, pool]), np.arange(self.n_rows)
        )
        # history adds up
        X_lab, y_lab = learner.get_labeled_data()
        n_labeled = 0 if y_lab is None else len(y_lab)
        history = learner.history_
        assert sum(r["n_new"] for r in history) == n_labeled
        assert [r["loop"] for r in history] == list(range(len(history)))
        if history:
            assert history[-1]["n_labeled"] == n_labeled
        in_history = [r["indices"] for r in history if r["indices"] is not None]
        np.testing.assert_array_equal(
            np.concatenate(in_history) if in_history else np.empty(0, int), labeled
        )
        # a record adds rows, except a relabel, a review, or an oracle's batch
        # it abstained on entirely (none of which this machine generates)
        assert all(r["n_new"] >= 1 for r in history), "an empty loop"
        # every label and row given comes back unchanged, with its type
        assert n_labeled == len(self.given_labels)
        if n_labeled:
            assert list(y_lab) == self.given_labels
            expected_kind = "iu" if self.label_kind == "int" else "OU"
            assert y_lab.dtype.kind in expected_kind, f"labels retyped: {y_lab.dtype}"
            if self.label_kind == "str":
                assert all(isinstance(v, str) for v in y_lab)
            rows = comparable(X_lab)
            if self.kind == "text":
                assert rows == self.given_rows
            else:
                assert rows.shape == (n_labeled, N_FEATURES), f"rows {rows.shape}"
                np.testing.assert_array_equal(rows, np.array(self.given_rows))
        # the model knows every labeled class, with the labels' type
        model = learner.estimator_
        if model is not None:
            assert set(self.given_labels) <= set(model.classes_.tolist())
            assert model.classes_.dtype.kind in (
                "iu" if self.label_kind == "int" else "OU"
            )

    def record(self, rows, labels):
        self.given_rows += list(rows)
        self.given_labels += list(labels)

    # ------------------------------------------------------------- query
    @rule(data=st.data())
    def query(self, data):
        pool = self.pool.size
        choice = data.draw(
            st.sampled_from(
                [
                    "default",
                    "count",
                    "zero",
                    "negative",
                    "too_many",
                    "float",
                    "string",
                    "bool",
                ]
            )
        )
        if pool == 0 and choice in ("default", "count"):
            if known_defect("D5a"):
                return
            self.call(False, ["pool"], lambda: self.learner.query())
            return
        n = {
            "default": None,
            "count": data.draw(st.integers(1, max(pool, 1))),
            "zero": 0,
            "negative": -1,
            "too_many": pool + 1,
            "float": 1.5,
            "string": "2",
            "bool": True,
        }[choice]
        valid = choice in ("default", "count")
        if choice == "default" and not self.batch_size_ok():
            valid = False
        elif choice == "default" and self.next_batch_size() > pool:
            # the last loop may be cut to the pool, or refused naming batch_size
            # (D5d: the example test pins the choice once it is made)
            valid = None
        names = (
            ["n_instances", "pool"] if choice != "default" else ["batch_size", "pool"]
        )
        ok, rows = self.call(
            valid,
            names,
            lambda: self.learner.query(n_instances=n),
            allowed_changes=QUERY_CHANGES,
        )
        if ok:
            assert rows.ndim == 1 and np.unique(rows).size == rows.size
            assert np.isin(rows, self.pool).all(), "query returned labeled rows"
            if n is not None:
                assert rows.size == n
            self.last_query = rows

    def next_batch_size(self):
        learner = self.learner
        return batch_size_at(
            learner.batch_size, learner.n_iter_, len(self.given_labels)
        )

    def batch_size_ok(self):
        """Whether the current ``batch_size`` parameter is valid."""
        size = self.learner.batch_size
        if callable(size):
            size = size(0, 0)
        return all(
            isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1
            for n in (size if isinstance(size, list) else [size])
        )

    @rule(data=st.data())
    def query_external_pool(self, data):
        k = data.draw(st.integers(1, 6))
        X_ext, _ = self.source.draw(self.rng.randint(0, 3, size=k))
        bad_width = self.kind != "text" and data.draw(st.booleans())
        if bad_width:
            X_ext = as_kind(comparable(X_ext)[:, :2], self.kind)
        n = data.draw(st.integers(1, k))
        ok, rows = self.call(
            False if bad_width else True,
            ["features", "X", "columns", "feature names"],
            lambda: self.learner.query(X_ext, n_instances=n),
            allowed_changes=QUERY_CHANGES,
        )
        if ok:
            assert rows.size == n and np.all((rows >= 0) & (rows < k))

    # ------------------------------------------------------------- label
    @rule(data=st.data())
    def label(self, data):
        pool = self.pool
        labeled = self.learner.labeled_indices_
        choice = data.draw(
            st.sampled_from(
                [
                    "query",
                    "pool",
                    "whole_pool",
                    "labeled",
                    "duplicate",
                    "out_of_range",
                    "negative",
                    "float_rows",
                    "short_y",
                    "missing_y",
                    "wrong_type",
                    "empty",
                ]
            )
        )
        if choice == "query":
            rows = self.last_query[np.isin(self.last_query, pool)]
        elif choice == "whole_pool":  # empties the pool: the next query must say so
            rows = self.rng.permutation(pool)
        elif pool.size:
            k = data.draw(st.integers(1, min(4, pool.size)))
            rows = self.rng.choice(pool, size=k, replace=False)
        else:
            rows = np.empty(0, dtype=int)
        if rows.size == 0 and choice not in ("labeled", "out_of_range", "negative"):
            choice = "empty"
        labels = self.y_true[rows]
        if data.draw(st.booleans()):
            labels = labels.tolist()
        valid, names = True, []
        if choice == "empty":
            if known_defect("D5c"):
                return
            rows, labels, valid, names = [], [], False, ["indices", "y"]
        elif choice == "labeled":
            if labeled.size == 0:
                return
            rows, labels = labeled[:1], self.given_labels[:1]
            valid, names = False, ["indices"]
        elif choice == "duplicate":
            rows = np.r_[rows, rows[:1]]
            labels = list(labels) + list(labels)[:1]
            valid, names = False, ["indices"]
        elif choice == "out_of_range":
            rows, labels, valid, names = (
                [self.n_rows],
                list(labels)[:1] or [self.given_any()],
                False,
                ["indices"],
            )
        elif choice == "negative":
            rows, labels, valid, names = (
                [-1],
                list(labels)[:1] or [self.given_any()],
                False,
                ["indices"],
            )
        elif choice == "float_rows":
            rows, valid, names = np.asarray(rows, dtype=float) + 0.5, False, ["indices"]
        elif choice == "short_y":
            labels, valid, names = list(labels)[:-1], False, ["y"]
        elif choice == "missing_y":
            labels = list(labels)
            labels[0] = MISSING[self.label_kind]
            valid, names = False, ["y", "missing"]
        elif choice == "wrong_type":
            if self.label_kind == "int":
                if known_defect("D2"):
                    return
                labels = [str(v) for v in labels]
            else:
                labels = list(range(len(labels)))
            valid, names = False, ["y", "label", "labels", "type"]
            if self.label_kind == "str" and not self.given_labels:
                # y was all None: no label tells the kind yet, the first one
                # fixes it, so integers would be accepted: not a wrong type
                return
        elif not self.classes_accept(labels):
            valid, names = False, ["classes"]
        self.call(
            valid,
            names,
            lambda: self.learner.label(rows, labels),
            on_success=lambda: self.record([self.row(i) for i in rows], labels),
        )

    def given_any(self):
        return CLASSES[self.label_kind][0]

    def classes_accept(self, labels):
        """Whether a partial-mode learner can take these labels (else it must
        refuse them, naming ``classes``)."""
        learner = self.learner
        if learner._refit_mode() != "partial":
            return True
        known = learner._classes
        fixed = learner.estimator_ is not None or learner._classes_fixed
        if not fixed or known is None:
            return True
        return set(labels) <= set(np.asarray(known).tolist())

    # ------------------------------------------------------------- teach
    def new_rows(self, data):
        k = data.draw(st.integers(1, 5))
        classes = self.rng.randint(0, 3, size=k)
        X_new, dense = self.source.draw(classes)
        labels = self.label_values(classes, as_list=data.draw(st.booleans()))
        return X_new, dense, labels

    def external(self, data, method):
        X_new, dense, labels = self.new_rows(data)
        choice = data.draw(
            st.sampled_from(
                [
                    "valid",
                    "valid",
                    "wrong_width",
                    "short_y",
                    "missing_y",
                    "other_columns",
                    "numpy_rows",
                    "zero_rows",
                ]
            )
        )
        valid, names = True, []
        if choice == "wrong_width":
            if self.kind == "text":
                return None
            X_new = as_kind(np.asarray(dense)[:, :2], self.kind)
            valid, names = False, ["features", "X", "columns"]
        elif choice == "short_y":
            labels, valid, names = list(labels)[:-1], False, ["y"]
        elif choice == "missing_y":
            labels = list(labels)
            labels[0] = MISSING[self.label_kind]
            valid, names = False, ["y", "missing"]
        elif choice == "other_columns":
            if self.kind != "frame":
                return None
            if known_defect("D1"):
                return None
            X_new = as_kind(np.asarray(dense), "frame", ["g0", "g1", "g2"])
            valid, names = False, ["X", "columns", "feature names"]
        elif choice == "numpy_rows":
            if self.kind != "frame":
                return None
            if known_defect("D3") or known_defect("F3"):
                return None
            X_new = np.asarray(dense)  # same columns, in order: acceptable
            valid = None
        elif choice == "zero_rows":
            if known_defect("D5c"):
                return None
            X_new = X_new[:0]
            labels, valid, names = labels[:0], False, ["X", "rows"]
        if valid and not self.classes_accept(labels):
            valid, names = False, ["classes"]
        self.call(
            valid,
            names,
            lambda: method(X_new, labels),
            on_success=lambda: self.record(list(dense), labels),
        )

    @rule(data=st.data())
    def teach(self, data):
        self.external(data, self.learner.teach)

    @precondition(lambda self: hasattr(self.learner.estimator, "partial_fit"))
    @rule(data=st.data())
    def partial_fit(self, data):
        self.external(data, self.learner.partial_fit)

    # -------------------------------------------------------- set_params
    @rule(
        size=st.sampled_from(
            [1, 2, 3, [2, 1], "callable", "huge_callable", 0, -2, 2.5]
        ),
    )
    def set_batch_size(self, size):
        if size == "callable":
            size = _two
        elif size == "huge_callable":
            if known_defect("D5d"):
                return
            size = _huge
        self.learner.set_params(batch_size=size)  # stored, checked when used
        self.assert_invariants()

    @rule(seed=st.integers(0, 100))
    def set_random_state(self, seed):
        self.learner.set_params(random_state=seed)
        self.assert_invariants()

    # ------------------------------------------------------------ pickle
    @rule()
    def pickle_round_trip(self):
        before = frozen(self.learner)
        self.learner = pickle.loads(pickle.dumps(self.learner))
        after = frozen(self.learner)
        # pickles may differ in memo layout: compare the states themselves, and
        # the models by what they predict
        for key in changed_keys(before, after):
            old, new = pickle.loads(before[key]), pickle.loads(after[key])
            if key == "_outputs":  # a cache of model outputs, emptied by pickling
                continue
            if key in ("estimator_", "_tail_model") and old is not None:
                np.testing.assert_array_equal(old.predict(self.X), new.predict(self.X))
            elif key == "estimator":
                assert repr(old.get_params()) == repr(new.get_params())
            else:
                assert_same(old, new, key)
        self.assert_invariants()

    # --------------------------------------------------------------- fit
    @rule(
        n_rows=st.integers(12, 60),
        labeled_share=st.sampled_from([0.0, 0.3, 0.6]),
        mistake=st.sampled_from([None, None, "short_y", "nan_labeled", "nan_pool"]),
    )
    def fit_again(self, n_rows, labeled_share, mistake):
        if mistake is None:
            self.fit_new_data(n_rows, labeled_share)
            return
        if mistake == "short_y":
            X, _ = self.source.draw(np.arange(n_rows) % 3)
            y = labels_of(np.arange(n_rows - 1) % 3, self.label_kind)
            self.call(False, ["y", "X", "batch_size"], lambda: self.learner.fit(X, y))
            return
        if self.kind in ("text", "sparse") or self.model == "hgb":
            return  # NaN: dense features, and an estimator that refuses it
        if mistake == "nan_pool" and known_defect("D5e"):
            return
        if mistake == "nan_labeled" and known_defect("F2"):
            return
        classes = np.arange(n_rows) % 3
        X, dense = self.source.draw(classes)
        values = np.array(comparable(X))
        y = np.array(labels_of(classes, self.label_kind), dtype=object)
        if mistake == "nan_labeled":
            values[0, 0] = np.nan  # row 0 keeps its label
        else:
            values[0, 0] = np.nan
            y[0] = MISSING[self.label_kind]  # row 0 is in the pool
        if self.label_kind == "int":
            y = y.astype(int)
        X = as_kind(values, self.kind)
        self.call(False, ["X", "NaN", "batch_size"], lambda: self.learner.fit(X, y))


def _two(loop, n_labeled):
    return 2


def _huge(loop, n_labeled):
    return 10**6


def assert_same(a, b, where):
    """Structural equality of two states (arrays, estimators, containers)."""
    if isinstance(a, np.random.Generator):
        assert_same(a.bit_generator.state, b.bit_generator.state, where)
    elif isinstance(a, np.random.RandomState):
        assert_same(a.get_state(legacy=False), b.get_state(legacy=False), where)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, z) in enumerate(zip(a, b)):
            assert_same(x, z, f"{where}[{i}]")
    elif hasattr(a, "__dict__") and not isinstance(a, type):
        assert type(a) is type(b), where
        assert_same(vars(a), vars(b), f"{where}.")
    elif sp.issparse(a):
        assert (a != b).nnz == 0, where
    elif hasattr(a, "equals"):
        assert a.equals(b), where
    else:
        assert a == b or (a != a and b != b), where


@pytest.mark.skipif(PROFILE == "nightly", reason="the nightly test runs instead")
def test_learner_state_machine():
    run_state_machine_as_test(LearnerMachine, settings=settings.get_profile(PROFILE))


@pytest.mark.nightly
@pytest.mark.skipif(
    PROFILE != "nightly",
    reason="the long run: SKAL_HYPOTHESIS_PROFILE=nightly python -m pytest "
    "-m nightly tests/test_properties.py",
)
def test_learner_state_machine_nightly():
    run_state_machine_as_test(LearnerMachine, settings=settings.get_profile("nightly"))


# -------------------------------------------------- known defects, examples
# One strict-xfail test per defect the machine skips: each states the behaviour
# the guarantee asks for. When a fix makes one pass, pytest reports XPASS(strict)
# as a failure: delete the mark and the defect's entry of KNOWN_DEFECTS.
# The defects of issue 10 and those the machine found, each as an example test
# (they failed before the fix; see CHANGELOG.md).


@pytest.fixture
def blobs():
    """60 rows, 3 features, classes 0/1/2, the first 12 rows labeled (-1 else)."""
    rng = np.random.RandomState(0)
    y = np.arange(60) % 3
    X = rng.normal(scale=3.0, size=(3, 3))[y] + rng.normal(size=(60, 3))
    y_partial = y.copy()
    y_partial[12:] = -1
    return X, y, y_partial


def lr_learner(**params):
    return ActiveLearner(LogisticRegression(max_iter=200), random_state=0, **params)


def assert_refused_unchanged(learner, call, error, match):
    before = frozen(learner)
    with pytest.raises(error, match=match):
        call()
    assert not changed_keys(before, frozen(learner))


def test_teach_dataframe_with_other_columns_is_refused(blobs):
    X, y, y_partial = blobs
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    learner = ActiveLearner(
        HistGradientBoostingClassifier(max_iter=5, min_samples_leaf=2),
        random_state=0,
    ).fit(frame, y_partial)
    other = pd.DataFrame(X[:2], columns=["x", "y", "z"])
    assert_refused_unchanged(
        learner, lambda: learner.teach(other, [0, 1]), ValueError, "column"
    )


def test_string_labels_on_an_integer_classifier_are_refused(blobs):
    X, y, y_partial = blobs
    learner = lr_learner().fit(X, y_partial)
    assert_refused_unchanged(
        learner,
        lambda: learner.label([20, 21], ["a", "a"]),
        (ValueError, TypeError),
        r"\by\b",
    )


def test_teach_numpy_rows_on_a_dataframe_learner(blobs):
    X, y, y_partial = blobs
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    learner = lr_learner().fit(frame, y_partial)
    try:
        learner.teach(X[:2], [0, 1])  # same columns, in order: may be accepted
    except (ValueError, TypeError) as error:
        assert re.search(r"\bX\b", str(error)) and "DataFrame" in str(error), error
    else:
        X_lab, y_lab = learner.get_labeled_data()
        np.testing.assert_array_equal(comparable(X_lab)[-2:], X[:2])


class InterruptOnSecondFit(LogisticRegression):
    fits = 0

    def fit(self, X, y, sample_weight=None):
        type(self).fits += 1
        if type(self).fits == 3:  # the first fit of the second ActiveLearner.fit
            raise KeyboardInterrupt
        return super().fit(X, y, sample_weight)


def test_an_interrupted_second_fit_leaves_the_learner_as_it_was(blobs):
    X, y, y_partial = blobs
    learner = ActiveLearner(InterruptOnSecondFit(), random_state=0)
    InterruptOnSecondFit.fits = 1
    learner.fit(X, y_partial)
    before = frozen(learner)
    with pytest.raises(KeyboardInterrupt):
        learner.fit(X, y)
    assert not changed_keys(before, frozen(learner))


def test_query_on_an_empty_pool_says_the_pool_is_empty(blobs):
    X, y, y_partial = blobs
    learner = lr_learner().fit(X, y)  # every row labeled
    with pytest.raises(ValueError, match="pool"):
        learner.query()


def test_a_zero_budget_is_refused(blobs):
    X, y, _ = blobs
    with pytest.raises(ValueError, match="budget"):
        lr_learner(budget=0).fit(X, y)


@pytest.mark.parametrize("method", ["teach", "label"])
def test_zero_rows_add_no_loop(blobs, method):
    X, y, y_partial = blobs
    learner = lr_learner().fit(X, y_partial)
    before = frozen(learner)
    try:
        if method == "teach":
            learner.teach(X[:0], y[:0])
        else:
            learner.label([], [])
    except ValueError as error:
        assert re.search(r"\b(X|indices|rows?)\b", str(error)), error
    assert not changed_keys(before, frozen(learner))


def test_a_batch_size_larger_than_the_pool_is_capped_with_a_warning(blobs):
    # the documented choice: an explicit n_instances is refused, a schedule's
    # size is capped to the pool with a warning naming batch_size
    X, y, y_partial = blobs
    learner = lr_learner(batch_size=_huge).fit(X, y_partial)
    with pytest.raises(ValueError, match="n_instances"):
        learner.query(n_instances=10**6)
    with pytest.warns(UserWarning, match="batch_size"):
        rows = learner.query()
    assert len(rows) == len(X) - len(learner.labeled_indices_)


def test_nan_in_an_unlabeled_row_is_named(blobs):
    X, y, y_partial = blobs
    X = X.copy()
    X[30, 1] = np.nan  # row 30 is unlabeled
    with pytest.raises(ValueError, match=r"\brows? \(first: \[30\]"):
        lr_learner().fit(X, y_partial).query()


def test_a_missing_label_that_never_occurs_is_flagged(blobs):
    X, y, y_partial = blobs
    with pytest.warns(UserWarning, match="missing_label"):
        lr_learner(missing_label=-99).fit(X, y_partial)  # -1 marks the pool


def test_nullable_integer_labels_keep_integer_classes(blobs):
    X, y, y_partial = blobs
    labels = pd.Series(y_partial, dtype="Int64").mask(y_partial == -1, pd.NA)
    learner = lr_learner().fit(X, labels)
    assert learner.classes_.dtype.kind in "iu"
    assert learner.get_labeled_data()[1].dtype.kind in "iu"


def test_a_utility_of_the_wrong_length_names_the_strategy(blobs):
    from skal.strategies import RankingStrategy

    class ShortUtility(RankingStrategy):
        def utility(self, context, X_chunk):
            return np.zeros(3)

    X, y, y_partial = blobs
    learner = lr_learner(query_strategy=ShortUtility()).fit(X, y_partial)
    with pytest.raises((ValueError, RuntimeError), match="ShortUtility"):
        learner.query(n_instances=2)


@pytest.mark.parametrize("name", ["GreedySamplingTarget", "ImprovedGreedySampling"])
def test_regression_strategies_refuse_a_classifier(blobs, name):
    from skal import strategies

    X, y, y_partial = blobs
    learner = lr_learner(query_strategy=getattr(strategies, name)())
    with pytest.raises((ValueError, TypeError), match="regress"):
        learner.fit(X, y_partial).query(n_instances=2)


def test_integer_labels_on_a_string_classifier_are_refused_naming_y(blobs):
    X, y, y_partial = blobs
    names = np.array(["ant", "bee", "cat"], dtype=object)[y]
    names[12:] = None
    learner = lr_learner().fit(X, names)
    assert_refused_unchanged(
        learner,
        lambda: learner.label([20, 21], [0, 1]),
        (ValueError, TypeError),
        r"\by\b",
    )


def test_a_second_fit_refused_by_the_estimator_leaves_the_learner_as_it_was(blobs):
    X, y, y_partial = blobs
    learner = lr_learner().fit(X, y_partial)
    X_bad = X.copy()
    X_bad[0, 0] = np.nan  # row 0 is labeled: LogisticRegression refuses it
    assert_refused_unchanged(
        learner, lambda: learner.fit(X_bad, y_partial), ValueError, "NaN"
    )


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_numpy_rows_taught_to_a_partial_dataframe_learner_stay_retrievable(blobs):
    X, y, y_partial = blobs
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    learner = ActiveLearner(SGDClassifier(random_state=0), refit="partial")
    learner.fit(frame, y_partial)
    before = frozen(learner)
    try:
        learner.teach(X[:2], [0, 1])
    except (ValueError, TypeError) as error:
        assert re.search(r"\bX\b", str(error)), error
        assert not changed_keys(before, frozen(learner))
    else:
        X_lab, y_lab = learner.get_labeled_data()
        np.testing.assert_array_equal(comparable(X_lab)[-2:], X[:2])
