"""Every strategy's picks on fixed data, pinned before the strategy-protocol
refactor (issue 9): a refactor must not change which rows any strategy picks.

The expected picks live in ``tests/data/pinned_picks.json``; they were written by
``python tests/test_pinned_picks.py --write`` on the code before the refactor.
A deliberate change of a strategy's picks rewrites them, and says why in the
commit.
"""

import json
import pathlib
import sys

import pytest
from sklearn.datasets import load_diabetes, load_digits
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.linear_model import LogisticRegression, Ridge

from skal import ActiveLearner
from skal import strategies as S

PINNED = pathlib.Path(__file__).parent / "data" / "pinned_picks.json"


def _classification_cases():
    margin = S.UncertaintySampling("margin")
    return {
        "random": S.RandomSampling(),
        "least_confident": S.UncertaintySampling("least_confident"),
        "margin": margin,
        "entropy": S.UncertaintySampling("entropy"),
        "qbc_vote": S.QueryByCommittee(n_members=3, disagreement="vote_entropy"),
        "qbc_kl": S.QueryByCommittee(n_members=3, disagreement="kl_divergence"),
        "eer": S.ExpectedErrorReduction(max_candidates=20),
        "density_cosine": S.InformationDensity(margin),
        "density_euclidean": S.InformationDensity(margin, metric="euclidean"),
        "kcenter": S.KCenterGreedy(),
        "ranked_batch": S.RankedBatch(margin),
        "badge": S.BADGE(),
        "typiclust": S.TypiClust(),
        "probcover": S.ProbCover(),
        "cluster_margin": S.ClusterMargin(),
        "two_step_kmeans": S.TwoStepKMeans(),
        "kmeans": S.KMeansSampling(),
        "schedule": S.StrategySchedule([(2, S.KCenterGreedy()), (None, margin)]),
        "albl": S.ActiveLearningByLearning([margin, S.RandomSampling()]),
        "prediction_change": S.PredictionChangeSampling(),
        "loop_variance": S.LoopVarianceSampling(),
        "subsampling": S.SubSampling(margin, max_candidates=50),
    }


def _regression_cases():
    return {
        "gsx": (Ridge(), S.GreedySamplingX()),
        "gsy": (Ridge(), S.GreedySamplingTarget()),
        "igs": (Ridge(), S.ImprovedGreedySampling()),
        "predictive_std": (GaussianProcessRegressor(), S.PredictiveStdSampling()),
        "qbc_variance": (Ridge(), S.QueryByCommittee(n_members=3)),
    }


def picks(name):
    """Rows labeled, in order, by a short seeded simulation with ``name``."""
    classification = _classification_cases()
    if name in classification:
        X, y = load_digits(return_X_y=True)
        X, y = X[:300] / 16.0, y[:300]
        estimator, strategy = LogisticRegression(max_iter=300), classification[name]
    else:
        X, y = load_diabetes(return_X_y=True)
        X, y = X[:200], y[:200]
        estimator, strategy = _regression_cases()[name]
    learner = ActiveLearner(
        estimator, strategy, budget=30, batch_size=5, n_initial=10, random_state=0
    )
    return learner.fit(X, y).labeled_indices_.tolist()


NAMES = sorted(_classification_cases()) + sorted(_regression_cases())


@pytest.mark.parametrize("name", NAMES)
def test_picks_unchanged(name):
    expected = json.loads(PINNED.read_text())[name]
    assert picks(name) == expected


if __name__ == "__main__" and "--write" in sys.argv:
    PINNED.write_text(json.dumps({name: picks(name) for name in NAMES}, indent=0))
