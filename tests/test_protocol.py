"""The strategy protocol: one public entry point, one validation point, one
scorer per ranking strategy, and layers that point one way (issue 9)."""

import ast
import pathlib
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_digits
from sklearn.linear_model import LogisticRegression, Ridge

from skal import ActiveLearner
from skal import strategies as S
from skal.strategies import QueryContext, QueryStrategy, RankingStrategy
from skal.strategies._base import COLD_START

SKAL = pathlib.Path(__file__).resolve().parents[1] / "skal"


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:200] / 16.0, y[:200]


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X[:150], y[:150]


def _context(X, y, estimator, n_labeled=30):
    labeled = np.arange(n_labeled)
    model = estimator.fit(X[labeled], y[labeled])
    return QueryContext(
        X=X,
        pool_indices=np.arange(n_labeled, len(X)),
        estimator=model,
        labeled=lambda: (X[labeled], y[labeled]),
        labeled_indices=labeled,
        random_state=np.random.RandomState(0),
        is_classifier=hasattr(model, "classes_"),
        classes=getattr(model, "classes_", None),
    )


RANKING = {
    "margin": lambda: S.UncertaintySampling(),
    "qbc": lambda: S.QueryByCommittee(n_members=3),
    "density": lambda: S.InformationDensity(),
    "prediction_change": lambda: S.PredictionChangeSampling(),
    "loop_variance": lambda: S.LoopVarianceSampling(),
    "predictive_std": lambda: S.PredictiveStdSampling(),
}
WRAPPERS = {
    "SubSampling": lambda base: S.SubSampling(base, max_candidates=40),
    "InformationDensity": lambda base: S.InformationDensity(base),
    "RankedBatch": lambda base: S.RankedBatch(base),
    "ClusterMargin": lambda base: S.ClusterMargin(base),
    "TwoStepKMeans": lambda base: S.TwoStepKMeans(base),
    "StrategySchedule": lambda base: S.StrategySchedule([(None, base)]),
    "ActiveLearningByLearning": lambda base: S.ActiveLearningByLearning(
        [base, S.RandomSampling()]
    ),
}


@pytest.mark.parametrize("wrapper", sorted(WRAPPERS))
@pytest.mark.parametrize("ranking", sorted(RANKING))
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_every_wrapper_around_every_ranking_strategy_queries_or_names_the_misfit(
    wrapper, ranking, task, digits, diabetes
):
    if task == "classification":
        X, y = digits
        estimator = LogisticRegression(max_iter=300)
    else:
        X, y = diabetes
        estimator = Ridge()
    strategy = WRAPPERS[wrapper](RANKING[ranking]())
    learner = ActiveLearner(
        estimator, strategy, budget=40, batch_size=5, n_initial=20, random_state=0
    )
    try:
        learner.fit(X, y)
    except (TypeError, ValueError) as error:
        # a clear refusal names what does not fit; never NotImplementedError
        message = str(error)
        assert any(
            name in message
            for name in (
                "classifier",
                "regress",
                "return_std",
                "predict_proba",
                "RankingStrategy",
                "ranking strategy",
            )
        ), message
        return
    assert len(learner.labeled_indices_) == 40
    assert len(set(learner.labeled_indices_.tolist())) == 40
    last = learner.history_[-1]
    inner = type(RANKING[ranking]()).__name__
    assert last["strategy"] in {wrapper, inner, f"SubSampling({inner})", COLD_START}


def test_select_validates_parameters_and_names_the_strategy(digits):
    X, y = digits
    context = _context(X, y, LogisticRegression(max_iter=200))
    with pytest.raises(ValueError, match="UncertaintySampling: measure must be one of"):
        S.UncertaintySampling("nonsense").select(context, 3)
    with pytest.raises(TypeError, match="TypiClust: n_neighbors must be an int"):
        S.TypiClust(n_neighbors=2.5).select(context, 3)
    with pytest.raises(
        ValueError, match=r"QueryByCommittee: n_members must be an int in \[2"
    ):
        S.QueryByCommittee(n_members=1).select(context, 3)
    with pytest.raises(ValueError, match="n_instances=500 is larger than the pool"):
        S.UncertaintySampling().select(context, 500)


def test_cold_start_fallback_is_in_the_base_class_for_wrappers_too(digits):
    X, _ = digits
    context = QueryContext(X=X, pool_indices=np.arange(len(X)))
    for strategy in (
        S.UncertaintySampling(),
        S.SubSampling(S.UncertaintySampling(), max_candidates=20),
        S.StrategySchedule([(None, S.QueryByCommittee())]),
    ):
        picks = strategy.select(context, 4)
        assert strategy.picked_by_ == COLD_START
        assert len(set(picks.tolist())) == 4
    kcenter = S.StrategySchedule([(None, S.KCenterGreedy())])
    kcenter.select(context, 2)
    assert kcenter.picked_by_ == "KCenterGreedy"


def test_score_pool_utility_and_wrappers_share_one_scorer(digits):
    X, y = digits
    context = _context(X, y, LogisticRegression(max_iter=300))
    for strategy in (S.QueryByCommittee(n_members=3), S.InformationDensity()):
        pool_scores = strategy.score_pool(
            _context(X, y, LogisticRegression(max_iter=300))
        )
        chunk = context.pool_rows(np.arange(context.n_pool))
        one_chunk = strategy.utility(
            _context(X, y, LogisticRegression(max_iter=300)), chunk
        )
        # same seed, same preparation: the chunk and the pool agree row by row
        if isinstance(strategy, S.InformationDensity):
            np.testing.assert_allclose(pool_scores, one_chunk)
        else:
            np.testing.assert_allclose(pool_scores, one_chunk)


class WrongLength(RankingStrategy):
    def _scorer(self, context):
        return lambda X_chunk, rows: np.ones(3)


class NotNumbers(RankingStrategy):
    def _scorer(self, context):
        return lambda X_chunk, rows: np.array(["a"] * len(X_chunk))


class Duplicates(QueryStrategy):
    def _select(self, context, n_instances):
        return np.zeros(n_instances, dtype=int)


def test_a_custom_strategy_returning_garbage_is_named(digits):
    X, y = digits
    context = _context(X, y, LogisticRegression(max_iter=200))
    with pytest.raises(
        ValueError, match=r"WrongLength returned utilities of shape \(3,\)"
    ):
        WrongLength().select(context, 2)
    with pytest.raises(ValueError, match="NotNumbers returned utilities that are not"):
        NotNumbers().select(context, 2)
    with pytest.raises(ValueError, match="Duplicates.select returned"):
        Duplicates().select(context, 2)


def test_schedule_records_who_picked(digits):
    X, y = digits
    learner = ActiveLearner(
        LogisticRegression(max_iter=200),
        S.StrategySchedule([(1, S.KCenterGreedy()), (None, S.UncertaintySampling())]),
        budget=30,
        batch_size=5,
        random_state=0,
    ).fit(X, y)
    assert learner.query_strategy_.picked_by_ == "UncertaintySampling"
    assert not hasattr(learner.query_strategy_, "selected_by_")
    assert [r["strategy"] for r in learner.history_[1:3]] == [
        "KCenterGreedy",
        "UncertaintySampling",
    ]


def _imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            yield ("." * node.level) + (node.module or "")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name


def test_utils_import_nothing_from_above():
    for path in (SKAL / "utils").glob("*.py"):
        for module in _imports(path):
            assert not module.startswith("..") and "skal." not in module, (
                f"{path.name} imports {module}: utils sits below everything"
            )


def test_the_learner_imports_no_private_strategy_module():
    for module in _imports(SKAL / "_learner.py"):
        assert not module.startswith(".strategies._"), module


def test_no_strategy_reads_a_private_attribute_of_another_module():
    with warnings.catch_warnings():
        for path in (SKAL / "strategies").glob("*.py"):
            text = path.read_text()
            assert "._transformer" not in text and "selected_by_ =" not in text


def test_failed_query_leaves_the_strategy_as_it_was(digits):
    """A query that fails inside the strategy changes neither the learner nor
    the strategy's record of who picked last."""
    X, y = digits

    class FailsSecondTime(S.UncertaintySampling):
        calls = 0

        def _scorer(self, context):
            FailsSecondTime.calls += 1
            if FailsSecondTime.calls > 1:
                self.memory_ = "half-written"
                raise RuntimeError("the scorer broke")
            return super()._scorer(context)

    schedule = S.StrategySchedule([(None, FailsSecondTime())])
    learner = ActiveLearner(
        LogisticRegression(max_iter=200), schedule, random_state=0
    ).fit(X[:20], y[:20])
    learner.teach(X[20:40], y[20:40])
    learner.query(X[40:300], n_instances=3)
    assert learner.query_strategy_.picked_by_ == "FailsSecondTime"
    inner = learner.query_strategy_
    state = dict(inner.__dict__)
    with pytest.raises(RuntimeError, match="the scorer broke"):
        learner.query(X[40:300], n_instances=3)
    assert inner.__dict__ == state
    assert learner.query_strategy_.picked_by_ == "FailsSecondTime"
