"""scikit-learn's estimator checks on multi-label ActiveLearner configurations.

The estimators' tags declare multi-output support, so the checks include
scikit-learn's multi-label ones (``check_classifiers_multilabel_*``: output
format of predict, predict_proba and decision_function, and invariance to the
representation of y), next to every single-label check.
"""

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks
from test_estimator_checks import SEMI_SUPERVISED_XFAIL

from skal import ActiveLearner

CONFIGURATIONS = [
    ActiveLearner(OneVsRestClassifier(LogisticRegression())),
    # the default strategy: margin sampling on the checks' single-label y,
    # TwoStepKMeans(MultiLabelUncertainty("max")) on their multi-label y
    ActiveLearner(
        OneVsRestClassifier(LogisticRegression()),
        budget=0.6,
        batch_size=3,
        n_initial=6,
        random_state=0,
    ),
    ActiveLearner(KNeighborsClassifier(3)),
]


@parametrize_with_checks(
    CONFIGURATIONS, expected_failed_checks=lambda estimator: SEMI_SUPERVISED_XFAIL
)
@pytest.mark.filterwarnings(  # check_classifiers_one_label: one class, no model
    "ignore:No model could be trained on the labeled rows yet:UserWarning",
    "ignore:The campaign ended without a trained model:UserWarning",
    # check_classifier_multioutput: a small campaign can leave a label column
    # with one value; it is predicted as that value, with this warning
    "ignore:Label columns .* hold one value in every labeled row:UserWarning",
)
def test_sklearn_compatible_multilabel(estimator, check):
    check(estimator)
