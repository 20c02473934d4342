"""Uncertainty sampling: query the rows the model is least sure about."""

from ..utils import MEASURES, UNCERTAINTY
from ..utils._multilabel import refuse_multilabel
from ..utils._validation import InstanceOf, Options
from ._base import RankingStrategy


class UncertaintySampling(RankingStrategy):
    """Query the pool rows whose prediction is the least certain.

    Parameters
    ----------
    measure : {"margin", "least_confident", "entropy"}, default="margin"
        How uncertainty is measured from the class probabilities
        :math:`P(y \\mid x)`:

        - ``"least_confident"``: :math:`1 - \\max_y P(y \\mid x)` [2]_;
        - ``"margin"``: :math:`1 - (P(\\hat y_1 \\mid x) - P(\\hat y_2 \\mid x))`,
          one minus the gap between the two most probable classes [3]_;
        - ``"entropy"``: :math:`-\\sum_y P(y \\mid x) \\log P(y \\mid x)` [4]_.

        Probabilities come from ``predict_proba``; an estimator without it (an
        ``SVC`` without probabilities, ``LinearSVC``) is scored through a softmax
        of ``decision_function``, so in the binary case every measure ranks rows
        by the absolute decision value.

    Notes
    -----
    Cost: one ``predict_proba`` pass over the pool, chunk by chunk (memory: one
    chunk of probabilities plus one float per pool row), then an O(N)
    selection. Rows with equal utility are ordered at random through the
    learner's ``random_state``.

    References
    ----------
    .. [1] B. Settles. "Active Learning Literature Survey". Computer Sciences
       Technical Report 1648, University of Wisconsin-Madison, 2009.
    .. [2] D. D. Lewis and W. A. Gale. "A Sequential Algorithm for Training Text
       Classifiers". SIGIR 1994.
    .. [3] T. Scheffer, C. Decomain and S. Wrobel. "Active Hidden Markov Models
       for Information Extraction". IDA 2001.
    .. [4] C. E. Shannon. "A Mathematical Theory of Communication". Bell System
       Technical Journal, 1948.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.strategies import UncertaintySampling
    >>> X, y = load_digits(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=200),
    ...                         UncertaintySampling(measure="entropy"),
    ...                         budget=60, batch_size=10, random_state=0)
    >>> learner.fit(X, y).score(X, y) > 0.8
    True
    """

    def __init__(self, measure="margin"):
        self.measure = measure

    _parameter_constraints = {"measure": [Options(MEASURES)]}

    def _scorer(self, context):
        refuse_multilabel(context, self)
        measure = UNCERTAINTY[self.measure]
        return lambda X_chunk, rows: measure(context.proba(X_chunk, rows))


def ranking_base(base):
    """The ranking strategy a wrapper scores with: ``base``, or margin
    ``UncertaintySampling`` when it is ``None``."""
    return UncertaintySampling() if base is None else base


#: The ``_parameter_constraints`` entry of a wrapper's ``base`` parameter.
RANKING_BASE = [
    None,
    InstanceOf(
        RankingStrategy,
        "None or a ranking strategy (a RankingStrategy, such as UncertaintySampling())",
    ),
]


__all__ = ["UncertaintySampling"]
