"""CrowdLearner and the annotator choices it rests on (skal/_crowd.py,
skal.annotators.interval_estimation and activelab_scores)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression

from skal import ActiveLearner, CrowdLearner
from skal.annotators import _best_temperature, activelab_scores, interval_estimation
from skal.oracles import FunctionOracle, SimulatedOracle


def _blobs(n=120, classes=3, seed=0):
    X, y = make_blobs(n, centers=classes, cluster_std=1.5, random_state=seed)
    return X, y


def _learner(batch_size=5):
    return ActiveLearner(LogisticRegression(max_iter=200), batch_size=batch_size)


def _logged(name, answer, log):
    """An annotator answering ``answer(row)`` that logs each answer."""

    def ask(X_rows, rows):
        labels = [answer(int(row)) for row in rows]
        log.extend((int(row), name, label) for row, label in zip(rows, labels))
        return labels

    return FunctionOracle(ask, name=name)


# ------------------------------------------------------------- IEThresh
def test_interval_estimation_by_hand():
    # rewards with the prior 1 and 0: 9/12, 4/7, 1/2 ones; t quantiles from a
    # table (0.975; 11, 6 and 1 degrees of freedom): 2.201, 2.447, 12.706
    # UI = m + t s / sqrt(n), s the sample standard deviation
    a = 0.75 + 2.201 * np.sqrt(12 / 11 * 0.75 * 0.25) / np.sqrt(12)
    b = 4 / 7 + 2.447 * np.sqrt(7 / 6 * (4 / 7) * (3 / 7)) / np.sqrt(7)
    c = 0.5 + 12.706 * np.sqrt(2 * 0.25) / np.sqrt(2)
    upper, chosen = interval_estimation([8, 3, 0], [10, 5, 0])
    assert upper == pytest.approx([a, b, c], abs=1e-3)
    assert chosen.tolist() == [False, False, True]  # the unexplored first
    # all explored: 10/12, 6/12, 3/12 ones: 1.0806, 0.8318, 0.5374
    upper, chosen = interval_estimation([9, 5, 2], [10, 10, 10], epsilon=0.8)
    assert upper == pytest.approx([1.0806, 0.8318, 0.5374], abs=1e-3)
    assert chosen.tolist() == [True, False, False]  # 0.8318 < 0.8 * 1.0806
    _, chosen = interval_estimation([9, 5, 2], [10, 10, 10], epsilon=0.75)
    assert chosen.tolist() == [True, True, False]  # 0.8318 >= 0.8105


def test_interval_estimation_refuses_bad_counts():
    with pytest.raises(ValueError, match="n_agree"):
        interval_estimation([3], [2])
    with pytest.raises(ValueError, match="epsilon"):
        interval_estimation([1], [2], epsilon=2)


def test_iethresh_choice_asks_the_reliable_annotator():
    """A perfect annotator and two who answer at random, asked by the paper's
    rule (every annotator IEThresh selects) with Dawid-Skene's consensus:
    once explored, IEThresh asks the perfect one on every row and drops one
    of the others; random choice asks everyone."""
    X, y = _blobs(300)
    noise = np.random.RandomState(1).randint(3, size=(2, y.size))
    counts = {}
    for choice in ("iethresh", "random"):
        annotators = [
            SimulatedOracle(name="good"),
            FunctionOracle(lambda X, r: noise[0, r], name="r1"),
            FunctionOracle(lambda X, r: noise[1, r], name="r2"),
        ]
        crowd = CrowdLearner(
            _learner(10),
            annotators,
            budget=150,
            choice=choice,
            second_opinions="never",
            consensus="dawid_skene",
            n_per_row=None,
            random_state=0,
        ).fit(X, y)
        late = [r for r in crowd.history_ if r["loop"] >= 2]
        names = np.concatenate([r["annotators"] for r in late])
        counts[choice] = (np.mean(names == "good"), np.mean(names != "r2"))
    assert counts["random"] == pytest.approx((1 / 3, 2 / 3), abs=0.02)
    assert counts["iethresh"][0] > 0.45  # on every row asked
    assert counts["iethresh"][1] < 0.55  # one of the random ones dropped


# ------------------------------------------------------------- ActiveLab
def test_activelab_scores_by_hand():
    labels = [[0, 0, 0], [0, 0, 1], [1, 1, -1], [1, -1, -1]]
    pred_probs = [[0.8, 0.2], [0.6, 0.4], [0.3, 0.7], [0.4, 0.6]]
    # the probabilities are first scaled by the temperature that fits the
    # label shares best (checked in test_activelab_temperature)
    shares = np.array([[1, 0], [2 / 3, 1 / 3], [0, 1], [0, 1]])
    temperature = _best_temperature(shares, np.array(pred_probs))
    scaled = np.array(pred_probs) ** (1 / temperature)
    scaled /= scaled.sum(axis=1, keepdims=True)
    unlabeled = np.array([0.1, 0.9]) ** (1 / temperature)
    unlabeled /= unlabeled.sum()
    # majority 0, 0, 1, 1; on the rows with several labels (the first three)
    # the most common class has share 2/3, so 1 - b = 1/3, and the model
    # agrees with every vote there
    # agreement (share of the others agreeing, on shared rows):
    #   annotators 0 and 1: (1 + 1/2 + 1) / 3; annotator 2: (1 + 0) / 2
    agree = np.array([2.5 / 3, 2.5 / 3, 0.5])
    w = np.maximum(1 - (1 - agree) * 3, 1e-3)  # 1/2, 1/2, 1e-3
    w_model = 1.0 * np.sqrt(9 / 4)
    # a label counts as a on its class, 1 - a on the other, a the mean share
    # of a row's labels equal to its vote: (3/3 + 2/3 + 2/2) / 3
    a = (1 + 2 / 3 + 1) / 3
    q = np.array([[a, 1 - a], [1 - a, a]])
    given = np.array(labels) >= 0
    post = w_model * scaled
    norm = np.full(4, w_model)
    for i, row in enumerate(labels):
        for j, label in enumerate(row):
            if label >= 0:
                post[i] += w[j] * q[label]
                norm[i] += w[j]
    post /= norm[:, None]
    quality = post[np.arange(4), [0, 0, 1, 1]]
    resting = given @ w + w_model
    expected = (quality * resting + w.mean() / 2) / (resting + w.mean())
    new = (w_model * unlabeled[1] + w.mean() / 2) / (w_model + w.mean())
    scores, scores_new = activelab_scores(labels, pred_probs, [[0.1, 0.9]])
    assert scores == pytest.approx(expected, abs=1e-9)
    assert scores_new == pytest.approx([new], abs=1e-9)
    # the row with a dissenting label is the least sure of the labeled rows
    assert np.argmin(scores[:3]) == 1


def test_activelab_temperature():
    """The temperature is the best of the grid (coarse and fine) by the mean
    cross-entropy with the label shares, and sharpens an under-confident
    model (T < 1) or softens an over-confident one (T > 1)."""
    shares = np.array([[1, 0], [1, 0], [0, 1], [0.5, 0.5]])

    def loss(probs, t):
        scaled = probs ** (1 / t)
        scaled /= scaled.sum(axis=1, keepdims=True)
        return np.mean(-(shares * np.log(scaled)).sum(axis=1))

    timid = np.array([[0.6, 0.4], [0.6, 0.4], [0.4, 0.6], [0.5, 0.5]])
    bold = np.array([[0.999, 0.001], [0.001, 0.999], [0.001, 0.999], [0.9, 0.1]])
    for probs, side in ((timid, "sharpen"), (bold, "soften")):
        t = _best_temperature(shares, probs)
        grid = [0.1, 0.2, 0.5, 0.8, 1.0, 2.0, 3.0, 5.0, 8.0]
        assert all(loss(probs, t) <= loss(probs, g) + 1e-12 for g in grid)
        assert (t < 1) if side == "sharpen" else (t > 1)


def test_second_opinion_decision_follows_the_scores():
    """With a scorer that rates every labeled row below every new row, each
    loop after the first gives one more label to every labeled row with an
    annotator left (up to the loop's 5 labels) and the rest to new rows; the
    reverse gives new rows only."""
    X, y = _blobs(90)
    annotators = [SimulatedOracle(name=f"a{k}") for k in range(3)]

    def prefer_old(labels, pred_probs, pred_probs_unlabeled):
        return np.zeros(len(labels)), np.ones(len(pred_probs_unlabeled))

    def prefer_new(labels, pred_probs, pred_probs_unlabeled):
        return np.ones(len(labels)), np.zeros(len(pred_probs_unlabeled))

    kwargs = dict(budget=30, n_initial=10, consensus="majority", random_state=0)
    old = CrowdLearner(_learner(5), annotators, second_opinions=prefer_old, **kwargs)
    old.fit(X, y)
    asked = np.zeros(y.size, dtype=int)  # questions per row, replayed
    for record in old.history_:
        open_rows = np.flatnonzero((asked > 0) & (asked < 3))
        if record["loop"] > 0:  # one more label per row and loop, at most
            assert record["second_opinions"].size == min(5, open_rows.size)
            assert set(record["second_opinions"].tolist()) <= set(open_rows.tolist())
            assert record["new_rows"].size == 5 - min(5, open_rows.size)
        np.add.at(asked, record["rows"], 1)
    assert old.history_[1]["new_rows"].size == 0
    new = CrowdLearner(_learner(5), annotators, second_opinions=prefer_new, **kwargs)
    new.fit(X, y)
    assert all(r["second_opinions"].size == 0 for r in new.history_)
    assert new.labeled_rows_.size == 30


# ------------------------------------------------------------- the loop
def test_trains_on_the_consensus_not_the_last_answer():
    X, y = _blobs(100)
    log = []
    annotators = [
        _logged("ann", lambda r: int(y[r]), log),
        _logged("bob", lambda r: int(y[r]), log),
        _logged("liar", lambda r: int((y[r] + 1) % 3), log),  # asked last
    ]
    crowd = CrowdLearner(
        _learner(5),
        annotators,
        budget=60,
        n_per_row=3,
        consensus="majority",
        second_opinions="never",
        random_state=0,
    ).fit(X, y)
    assert [name for _, name, _ in log[-3:]] != []  # the liar answered
    assert log[-1][1] == "liar"
    rows = crowd.learner_.labeled_indices_
    _, labels = crowd.learner_.get_labeled_data()
    assert rows.size == 20
    np.testing.assert_array_equal(labels, y[rows])


def test_consensus_change_relabels_the_learner():
    """A row first labeled by a liar gets the truth once two others outvote
    it: the learner's label follows the consensus (a relabel record)."""
    X, y = _blobs(60)
    annotators = [
        FunctionOracle(lambda X, r: (y[r] + 1) % 3, name="liar"),
        SimulatedOracle(name="a"),
        SimulatedOracle(name="b"),
    ]

    def prefer_old(labels, pred_probs, pred_probs_unlabeled):
        return np.zeros(len(labels)), np.ones(len(pred_probs_unlabeled))

    crowd = CrowdLearner(
        _learner(10),
        annotators,
        budget=30,
        choice="random",
        consensus="majority",
        second_opinions=prefer_old,
        random_state=3,
    ).fit(X, y)
    rows = crowd.learner_.labeled_indices_
    _, labels = crowd.learner_.get_labeled_data()
    np.testing.assert_array_equal(labels, y[rows])  # 3 labels each: truth wins
    assert any(r["kind"] == "relabel" for r in crowd.learner_.history_)
    assert sum(r["changed"].size for r in crowd.history_) > 0


def test_history_records_every_answer_and_the_consensus():
    X, y = _blobs(100)
    log = []
    rng = np.random.RandomState(0)
    noisy = np.where(rng.rand(3, y.size) < 0.3, rng.randint(3, size=(3, y.size)), y)
    annotators = [
        _logged(f"a{k}", lambda r, k=k: int(noisy[k, r]), log) for k in range(3)
    ]
    crowd = CrowdLearner(_learner(5), annotators, budget=40, random_state=0).fit(X, y)
    recorded = [
        (int(row), str(name), label)
        for record in crowd.history_
        for row, name, label in zip(
            record["rows"], record["annotators"], record["labels"]
        )
    ]
    assert sorted(recorded) == sorted(log)
    last = crowd.history_[-1]
    np.testing.assert_array_equal(last["consensus_rows"], crowd.labeled_rows_)
    np.testing.assert_array_equal(last["consensus"], crowd.consensus_.labels)
    assert crowd.label_cost_ == 40 == len(log)


def test_parameters_checked_in_fit():
    X, y = _blobs(30)
    annotators = [SimulatedOracle(name="a"), SimulatedOracle(name="b")]
    with pytest.raises(ValueError, match="budget"):
        CrowdLearner(_learner(), annotators, budget=0).fit(X, y)
    with pytest.raises(ValueError, match="no oracle"):
        learner = _learner().set_params(oracle=SimulatedOracle())
        CrowdLearner(learner, annotators, budget=5).fit(X, y)
    with pytest.raises(ValueError, match="distinct names"):
        CrowdLearner(_learner(), [SimulatedOracle()] * 2, budget=5).fit(X, y)
    with pytest.raises(ValueError, match="n_per_row"):
        CrowdLearner(_learner(), annotators, budget=5, n_per_row=3).fit(X, y)
    with pytest.raises(ValueError, match="pass y"):
        CrowdLearner(_learner(), annotators, budget=5).fit(X)


def test_failed_simulation_leaves_the_learner_as_it_was():
    X, y = _blobs(60)
    calls = []

    def fragile(X_rows, rows):
        calls.append(len(rows))
        if len(calls) > 3:
            raise RuntimeError("annotator gone")
        return y[rows]

    annotators = [SimulatedOracle(name="a"), FunctionOracle(fragile, name="f")]
    crowd = CrowdLearner(
        _learner(5), annotators, budget=40, choice="random", random_state=0
    )
    with pytest.raises(Exception, match="annotator gone"):
        crowd.fit(X, y)
    assert not hasattr(crowd, "history_")


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 1000),
    budget=st.integers(5, 40),
    n_per_row=st.sampled_from([1, 2, None]),
    second=st.sampled_from(["activelab", "never"]),
    abstain=st.floats(0, 0.5),
    choice=st.sampled_from(["iethresh", "random"]),
)
def test_no_answer_dropped_or_duplicated(
    seed, budget, n_per_row, second, abstain, choice
):
    X, y = _blobs(50, seed=seed % 7)
    rng = np.random.RandomState(seed)
    silent = rng.rand(3, y.size) < abstain
    wrong = rng.randint(3, size=(3, y.size))
    log = []
    annotators = [
        _logged(
            f"a{k}",
            lambda r, k=k: None if silent[k, r] else int(wrong[k, r] if k else y[r]),
            log,
        )
        for k in range(3)
    ]
    crowd = CrowdLearner(
        _learner(4),
        annotators,
        budget=budget,
        n_initial=6,
        n_per_row=n_per_row,
        choice=choice,
        second_opinions=second,
        random_state=seed,
    ).fit(X, y)
    pairs = [
        (int(row), str(name))
        for record in crowd.history_
        for row, name in zip(record["rows"], record["annotators"])
    ]
    assert len(pairs) == len(set(pairs)) == len(log)  # each question once
    assert sorted(pairs) == sorted((row, name) for row, name, _ in log)
    matrix = np.full((y.size, 3), None, dtype=object)
    for record in crowd.history_:
        columns = [int(name[1]) for name in record["annotators"]]
        matrix[record["rows"], columns] = record["labels"]
    np.testing.assert_array_equal(matrix, crowd.label_matrix_)
    n_answers = sum(label is not None for _, _, label in log)
    assert crowd.label_cost_ == n_answers <= budget
    # the learner holds exactly the rows with an answer, with their consensus
    rows = crowd.learner_.labeled_indices_
    assert np.array_equal(np.sort(rows), crowd.labeled_rows_)
    _, labels = crowd.learner_.get_labeled_data()
    order = np.searchsorted(crowd.labeled_rows_, rows)
    np.testing.assert_array_equal(labels, crowd.consensus_.labels[order])


def test_failed_campaign_keeps_every_answer():
    """Real annotators (not answering from y): a failure keeps the loops
    before it and the answers of the failing loop, in history_ and the
    label matrix, then raises."""
    X, y = _blobs(60)
    log, calls = [], []

    def fragile(X_rows, rows):
        calls.append(len(rows))
        if len(calls) > 4:
            raise RuntimeError("annotator gone")
        labels = [int(y[r]) for r in rows]
        log.extend((int(r), "f", label) for r, label in zip(rows, labels))
        return labels

    annotators = [
        _logged("a", lambda r: int(y[r]), log),
        FunctionOracle(fragile, name="f"),
    ]
    crowd = CrowdLearner(
        _learner(5), annotators, budget=40, choice="random", random_state=0
    )
    with pytest.raises(Exception, match="annotator gone"):
        crowd.fit(X)
    assert crowd.history_[-1]["kind"] == "interrupted"
    recorded = [
        (int(row), str(name), label)
        for record in crowd.history_
        for row, name, label in zip(
            record["rows"], record["annotators"], record["labels"]
        )
    ]
    assert sorted(recorded) == sorted(log)
    assert np.not_equal(crowd.label_matrix_, None).sum() == len(log)


def test_confidence_weights_train_the_final_model():
    """weights="confidence": estimator_ is the estimator fitted on the
    consensus with each row's confidence as its sample weight."""
    X, y = _blobs(80)
    rng = np.random.RandomState(0)
    noisy = np.where(rng.rand(3, y.size) < 0.3, rng.randint(3, size=(3, y.size)), y)
    annotators = [
        FunctionOracle(lambda X, r, k=k: noisy[k, r], name=f"a{k}") for k in range(3)
    ]
    kwargs = dict(budget=40, n_per_row=2, consensus="dawid_skene", random_state=0)
    plain = CrowdLearner(_learner(5), annotators, **kwargs).fit(X)
    weighted = CrowdLearner(_learner(5), annotators, weights="confidence", **kwargs)
    weighted.fit(X)
    assert plain.estimator_ is plain.learner_.estimator_
    rows = weighted.labeled_rows_
    confidence = weighted.consensus_.confidence
    assert confidence.min() < 1.0  # the weights are not all equal
    by_hand = LogisticRegression(max_iter=200).fit(
        X[rows], weighted.consensus_.labels.astype(int), sample_weight=confidence
    )
    np.testing.assert_allclose(weighted.estimator_.coef_, by_hand.coef_)
    assert not np.allclose(weighted.learner_.estimator_.coef_, by_hand.coef_)
