"""Learning curves and scorers on multi-label data."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_multilabel_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import hamming_loss
from sklearn.multiclass import OneVsRestClassifier

from skal import ActiveLearner
from skal.datasets import load_digits_attributes
from skal.metrics import hamming_scorer
from skal.model_selection import active_learning_curve
from skal.strategies import MMC, RandomSampling

X, Y = make_multilabel_classification(
    n_samples=200, n_features=8, n_classes=4, random_state=0
)


def learners():
    def one(strategy):
        return ActiveLearner(
            OneVsRestClassifier(LogisticRegression(solver="liblinear")),
            strategy,
            budget=30,
            batch_size=10,
        )

    return {"random": one(RandomSampling()), "mmc": one(MMC())}


@pytest.mark.parametrize("scoring", ["f1_micro", "f1_macro", "accuracy"])
def test_curves_with_multilabel_scorers(scoring):
    n_labeled, scores = active_learning_curve(
        learners(), X, Y, n_repeats=2, scoring=scoring, random_state=0
    )
    np.testing.assert_array_equal(n_labeled["mmc"], [10, 20, 30])
    assert scores["mmc"].shape == (3, 2)
    assert np.all((scores["mmc"] >= 0) & (scores["mmc"] <= 1))
    # paired: the same initial set, so the same first score
    np.testing.assert_array_equal(scores["mmc"][0], scores["random"][0])


def test_sparse_y_and_the_hamming_scorer():
    _, dense = active_learning_curve(
        learners(), X, Y, n_repeats=2, scoring=hamming_scorer, random_state=0
    )
    _, sparse = active_learning_curve(
        learners(),
        X,
        sp.csr_matrix(Y),
        n_repeats=2,
        scoring=hamming_scorer,
        random_state=0,
    )
    np.testing.assert_array_equal(dense["mmc"], sparse["mmc"])
    assert np.all(dense["mmc"] <= 0)  # the negative Hamming loss


def test_hamming_scorer_is_the_negative_hamming_loss():
    model = OneVsRestClassifier(LogisticRegression()).fit(X, Y)
    assert hamming_scorer(model, X, Y) == -hamming_loss(Y, model.predict(X))


def test_a_2d_y_that_is_not_an_indicator_is_refused():
    with pytest.raises(ValueError, match="label-indicator"):
        active_learning_curve(learners(), X, Y * 2, n_repeats=2)


def test_digits_attributes_by_hand():
    X_d, Y_d, names = load_digits_attributes(return_names=True)
    assert X_d.shape == (1797, 64) and Y_d.shape == (1797, 4)
    assert names == ["even", "at_least_5", "prime", "closed_loop"]
    # the digit 7 (row 7 of load_digits): odd, >= 5, prime, no closed loop
    np.testing.assert_array_equal(Y_d[7], [0, 1, 1, 0])
    # the digit 8 (row 8): even, >= 5, not prime, loops
    np.testing.assert_array_equal(Y_d[8], [1, 1, 0, 1])


def test_cli_benchmark_on_a_bundled_multilabel_set(capsys):
    from skal.cli import main

    status = main(
        [
            "benchmark",
            "--dataset",
            "multilabel",
            "--strategies",
            "random,mmc",
            "--repeats",
            "2",
            "--budget",
            "30",
            "--n-jobs",
            "1",
            "--quiet",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert "micro-F1" in out and "mmc" in out


def test_display_from_estimator_on_multilabel_data():
    import matplotlib

    matplotlib.use("Agg")
    from skal.plotting import ActiveLearningCurveDisplay

    display = ActiveLearningCurveDisplay.from_estimator(
        learners(), X, Y, n_repeats=2, scoring="f1_micro", random_state=0
    )
    assert display.ax_.get_ylabel() == "f1_micro"
    assert set(display.test_scores) == {"random", "mmc"}
