"""One validation style: declarative ``_parameter_constraints`` tables, checked
by one shared helper at each object's public entry point."""

import inspect
import re
from numbers import Integral, Real

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB

from skal import oracles, schedules, stopping, strategies
from skal.label_quality import LabelReview
from skal.oracles import FunctionOracle, OracleChain, SimulatedOracle
from skal.strategies import QueryContext
from skal.stream import BudgetManager, StreamActiveLearner, StreamRule, _budget, _rules
from skal.stream._budget import check_budget
from skal.utils._validation import (
    Interval,
    Options,
    ValidatedParameters,
    check_value,
    parameter_constraints,
    validate_parameter_constraints,
)


def _context():
    X = np.array([[-2.0], [-1.0], [1.0], [2.0], [0.5], [-0.5]])
    model = LogisticRegression().fit(X[:4], [0, 0, 1, 1])
    return QueryContext(
        X=X,
        pool_indices=np.arange(4, 6),
        estimator=model,
        labeled=lambda: (X[:4], np.array([0, 0, 1, 1])),
        labeled_indices=np.arange(4),
        classes=model.classes_,
    )


def _use(obj):
    """Call ``obj``'s public entry point, the moment its parameters are checked."""
    if isinstance(obj, stopping.StoppingCriterion):
        return obj.check(_context())
    if isinstance(obj, schedules.BatchSchedule):
        return obj(0, 10)
    if isinstance(obj, StreamRule):
        learner = StreamActiveLearner(GaussianNB(), obj, classes=[0, 1])
        return learner.decide(np.zeros((3, 1)))
    if isinstance(obj, BudgetManager):
        learner = StreamActiveLearner(GaussianNB(), budget_manager=obj, classes=[0, 1])
        return learner.decide(np.zeros((3, 1)))
    if isinstance(obj, LabelReview):
        return obj.validate()
    raise AssertionError(obj)


S, R, B = stopping, _rules, _budget
REVIEWER = SimulatedOracle(name="expert")
# (object, parameter, error, what the message says is allowed)
BAD = [
    (S.StabilizingPredictions(window=0), "window", ValueError, r"an int in \[1, inf\)"),
    (S.StabilizingPredictions(window=2.0), "window", TypeError, r"an int in \[1"),
    (S.StabilizingPredictions(threshold=1.5), "threshold", ValueError, r"\[-1, 1\]"),
    (
        S.StabilizingPredictions(stop_set_size=0),
        "stop_set_size",
        ValueError,
        r"an int in \[1, inf\) or a real number in \(0, 1\]",
    ),
    (S.StabilizingPredictions(stop_set_size=2.5), "stop_set_size", ValueError, "or"),
    (S.MaxUncertainty(measure="bald"), "measure", ValueError, "one of"),
    (S.OverallUncertainty(threshold="low"), "threshold", TypeError, "a real number"),
    (S.ClassificationChange(tolerance=1.5), "tolerance", ValueError, r"\[0, 1\]"),
    (S.ClassificationChange(patience=0), "patience", ValueError, r"\[1, inf\)"),
    (S.PerformancePlateau(patience=True), "patience", TypeError, "an int"),
    (S.PerformancePlateau(tol="x"), "tol", TypeError, "a real number"),
    (S.PerformancePlateau(cv=1), "cv", ValueError, r"an int in \[2, inf\)"),
    (S.PerformancePlateau(scoring=3), "scoring", TypeError, "a scorer name"),
    (S.AnyOf([]), "criteria", TypeError, "a non-empty list of criteria"),
    (S.AllOf([0.99]), "criteria", TypeError, "a non-empty list of criteria"),
    (schedules.ConstantSchedule(0), "size", ValueError, r"an int in \[1, inf\)"),
    (schedules.ConstantSchedule(2.0), "size", TypeError, "an int"),
    (schedules.GeometricSchedule(start=0), "start", ValueError, r"\[1, inf\)"),
    (schedules.GeometricSchedule(factor=-1), "factor", ValueError, r"\(0, inf\)"),
    (schedules.GeometricSchedule(cap=0), "cap", ValueError, "None or an int"),
    (schedules.FractionOfLabeled(fraction=0), "fraction", ValueError, r"\(0, inf"),
    (schedules.FractionOfLabeled(minimum=0), "minimum", ValueError, r"\[1, inf"),
    (schedules.FractionOfLabeled(maximum=0.5), "maximum", TypeError, "None or"),
    (R.VariableUncertainty(step=1.0), "step", ValueError, r"\(0, 1\)"),
    (R.VariableUncertainty(threshold=0), "threshold", ValueError, r"\(0, inf\)"),
    (R.RandomizedVariableUncertainty(delta=-1), "delta", ValueError, r"\(0, inf"),
    (R.RandomizedVariableUncertainty(step=0), "step", ValueError, r"\(0, 1\)"),
    (R.SplitRule(share=0.0), "share", ValueError, r"\(0, 1\)"),
    (R.SplitRule(threshold="1"), "threshold", TypeError, "a real number"),
    (R.BalancedQuantileFilter(window=0), "window", ValueError, r"\[1, inf\)"),
    (R.BalancedQuantileFilter(tolerance=0), "tolerance", ValueError, r"\(0, inf"),
    (R.BalancedQuantileFilter(measure="bald"), "measure", ValueError, "one of"),
    (B.EstimatedBudget(budget=0), "budget", ValueError, r"\(0, 1\]"),
    (B.EstimatedBudget(window=0), "window", ValueError, r"\[1, inf\)"),
    (B.EstimatedBudget(cap=1), "cap", TypeError, "True or False"),
    (B.FixedShareBudget(budget=2), "budget", ValueError, r"\(0, 1\]"),
    (B.FixedShareBudget(window=1.5), "window", TypeError, "None or an int"),
    (LabelReview(REVIEWER, every=0), "every", ValueError, r"\[1, inf\)"),
    (LabelReview(REVIEWER, n_rows=1.5), "n_rows", TypeError, "an int"),
    (LabelReview(REVIEWER, cv=1), "cv", ValueError, r"\[2, inf\)"),
    (LabelReview(REVIEWER, method="vote"), "method", ValueError, "one of"),
    (LabelReview("expert"), "oracle", TypeError, "a callable"),
]


@pytest.mark.parametrize(
    "obj, name, error, allowed",
    BAD,
    ids=[f"{type(obj).__name__}-{name}" for obj, name, *_ in BAD],
)
def test_the_tables_refuse_bad_values_naming_the_parameter(obj, name, error, allowed):
    message = rf"{type(obj).__name__}: {name} must be .*{allowed}.*; got "
    with pytest.raises(error, match=message):
        _use(obj)


def test_the_value_at_fault_is_quoted():
    with pytest.raises(ValueError, match=r"got 1\.5 instead\.$"):
        _use(S.ClassificationChange(tolerance=1.5))


CONVERTED = sorted({type(obj) for obj, *_ in BAD}, key=lambda cls: cls.__name__)


@pytest.mark.parametrize("cls", CONVERTED, ids=lambda cls: cls.__name__)
def test_every_parameter_has_a_constraint(cls):
    # data arguments are left to the estimator that reads them
    unchecked = {"X_val", "y_val"} if cls is S.PerformancePlateau else set()
    params = set(inspect.signature(cls.__init__).parameters) - {"self"}
    assert params - unchecked == set(parameter_constraints(cls)), cls


def _family(base):
    for cls in base.__subclasses__():
        yield cls
        yield from _family(cls)


@pytest.mark.parametrize(
    "base",
    [
        strategies.QueryStrategy,
        oracles.Oracle,
        stopping.StoppingCriterion,
        schedules.BatchSchedule,
        StreamRule,
        BudgetManager,
    ],
    ids=lambda base: base.__name__,
)
def test_tables_name_only_parameters_and_defaults_pass(base):
    for cls in _family(base):
        own = vars(cls).get("_parameter_constraints") or {}
        params = set(inspect.signature(cls.__init__).parameters)
        assert set(own) <= params, f"{cls.__name__} constrains {set(own) - params}"
        if cls.__name__.startswith("_") or cls.__module__.startswith("tests"):
            continue
        required = [
            p
            for p in inspect.signature(cls.__init__).parameters.values()
            if p.default is inspect.Parameter.empty and p.name != "self"
        ]
        if not required:  # the defaults are valid
            validate_parameter_constraints(cls())


def test_label_review_defaults_pass():
    assert LabelReview(REVIEWER).validate() is None


def test_criteria_are_validated_at_every_check_not_only_the_first():
    criterion = S.ClassificationChange()
    criterion.check(_context())
    criterion.set_params(patience=0)
    with pytest.raises(ValueError, match="ClassificationChange: patience"):
        criterion.check(_context())


def test_combinations_validate_the_criteria_they_hold():
    with pytest.raises(ValueError, match="ClassificationChange: tolerance"):
        S.AnyOf([S.ClassificationChange(tolerance=2.0)]).check(_context())


def test_cross_parameter_checks_follow_the_table():
    with pytest.raises(ValueError, match="FractionOfLabeled: maximum must be >= mini"):
        schedules.FractionOfLabeled(minimum=5, maximum=2)(0, 10)
    with pytest.raises(ValueError, match="X_val and y_val must be given together"):
        S.PerformancePlateau(X_val=np.zeros((2, 1))).check(_context())
    with pytest.raises(ValueError, match="window=5 allows floor.* at least 10"):
        _use(B.FixedShareBudget(budget=0.1, window=5))


# ------------------------------------------------------------ the shared helper
class Base(ValidatedParameters, BaseEstimator):
    _parameter_constraints = {"size": [Interval(Integral, 1, None)], "gone": [None]}

    def __init__(self, size=1):
        self.size = size


class Loosened(Base):
    _parameter_constraints = {"size": [Interval(Integral, 0, None)]}


class Extended(Base):
    _parameter_constraints = {"kind": [Options(("a", "b"))]}

    def __init__(self, size=1, kind="a"):
        self.size = size
        self.kind = kind


def test_tables_merge_along_the_class_hierarchy():
    assert set(parameter_constraints(Extended)) == {"size", "gone", "kind"}
    with pytest.raises(ValueError, match=r"Extended: size must be an int in \[1"):
        Extended(size=0)._validate_params()
    with pytest.raises(ValueError, match="Extended: kind must be one of"):
        Extended(kind="c")._validate_params()
    # a subclass's entry replaces the inherited one
    Loosened(size=0)._validate_params()
    with pytest.raises(ValueError, match=r"Base: size must be an int in \[1"):
        Base(size=0)._validate_params()


def test_a_name_that_is_not_a_parameter_is_skipped():
    # "gone" is constrained but no parameter: nothing is read, nothing raised
    assert validate_parameter_constraints(Base()) is None
    # OracleChain inherits Oracle's "cost" entry without taking a cost
    chain = OracleChain([FunctionOracle(lambda X, idx: [1] * len(idx))])
    assert chain.answer(None, np.arange(2)).labels.tolist() == [1, 1]


def test_strategies_and_oracles_use_the_shared_helper():
    with pytest.raises(TypeError, match="OracleChain: name must be None or a string"):
        OracleChain([REVIEWER], name=5).answer(None, np.arange(2))
    with pytest.raises(TypeError, match="SimulatedOracle: name must be None or a str"):
        SimulatedOracle(y=[0, 1], name=5).answer(None, np.arange(2))
    with pytest.raises(ValueError, match="UncertaintySampling: measure must be one"):
        strategies.UncertaintySampling("bald").select(_context(), 1)


def test_check_value_names_the_argument_without_an_owner():
    assert check_value("rate", 0.5, [Interval(Real, 0, 1)]) == 0.5
    with pytest.raises(ValueError, match=re.escape("rate must be a real number in")):
        check_value("rate", 2, [Interval(Real, 0, 1)])
    assert check_budget(1) == 1.0 and isinstance(check_budget(1), float)
    with pytest.raises(ValueError, match=r"--label-rate must be .* \(0, 1\]"):
        check_budget(1.5, "--label-rate")
    with pytest.raises(TypeError, match="budget must be a real number"):
        check_budget("all")
