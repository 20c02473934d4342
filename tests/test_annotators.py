"""Agreement and consensus over several annotators (skal.annotators)."""

import numpy as np
import pytest

from skal.annotators import (
    cohen_kappa_matrix,
    consensus_labels,
    encode_label_matrix,
    fleiss_kappa,
    krippendorff_alpha,
)
from skal.evaluation import wilson_interval

NAN = np.nan


# -- the label matrix --------------------------------------------------------


def test_missing_markers_follow_missing_label():
    codes, classes = encode_label_matrix(np.array([[1, -1], [2, 1]]))
    assert codes.tolist() == [[0, -1], [1, 0]] and classes.tolist() == [1, 2]
    codes, classes = encode_label_matrix(np.array([[1.0, NAN], [-1.0, 1.0]]))
    # a float matrix: NaN is missing and -1.0 is a label
    assert codes.tolist() == [[1, -1], [0, 1]] and classes.tolist() == [-1.0, 1.0]
    codes, classes = encode_label_matrix(
        np.array([["cat", None], [NAN, "dog"]], dtype=object)
    )
    assert codes.tolist() == [[0, -1], [-1, 1]]
    codes, _ = encode_label_matrix([["cat", ""], ["", "dog"]], missing_label="")
    assert codes.tolist() == [[0, -1], [-1, 1]]
    codes, _ = encode_label_matrix([[3, 0], [0, 3]], missing_label=0)
    assert codes.tolist() == [[0, -1], [-1, 0]]


def test_pandas_frames_with_missing_values():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"ann": [1, None, 2], "bob": [1, 2, None]}, dtype="Int64")
    codes, classes = encode_label_matrix(frame)
    assert codes.tolist() == [[0, 0], [-1, 1], [1, -1]]
    assert classes.tolist() == [1, 2]
    codes, _ = encode_label_matrix(frame.astype(float))
    assert codes.tolist() == [[0, 0], [-1, 1], [1, -1]]


@pytest.mark.parametrize(
    "labels, kwargs, message",
    [
        ([1, 2, 3], {}, "labels must be a 2-D"),
        (np.empty((0, 2)), {}, "labels has no row"),
        ([[-1, -1]], {}, "every cell is missing"),
        ([[1, 2]], {"missing_label": "none"}, "missing_label='none'"),
    ],
)
def test_label_matrix_errors_name_the_argument(labels, kwargs, message):
    with pytest.raises(ValueError, match=message):
        encode_label_matrix(labels, **kwargs)


def test_consensus_refuses_bad_arguments():
    with pytest.raises(ValueError, match="method must be"):
        consensus_labels([[0, 1]], method="vote")
    with pytest.raises(ValueError, match="row 1"):
        consensus_labels([[0, 1], [-1, -1]])
    with pytest.raises(ValueError, match="smoothing"):
        consensus_labels([[0, 1]], method="dawid_skene", smoothing=0)
    with pytest.raises(ValueError, match="at least 2 annotator"):
        fleiss_kappa([[0], [1]])


# -- agreement ----------------------------------------------------------------


def test_cohen_kappa_by_hand_on_a_two_by_two_table():
    # yes/yes 20, yes/no 5, no/yes 10, no/no 15: p_o = 35/50 = 0.7,
    # p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5, kappa = (0.7 - 0.5) / 0.5 = 0.4
    pairs = [("y", "y")] * 20 + [("y", "n")] * 5 + [("n", "y")] * 10
    pairs += [("n", "n")] * 15
    # rows only one of them labeled do not count
    pairs += [("y", None)] * 7 + [(None, "n")] * 4
    labels = np.array(pairs, dtype=object)
    kappa, n_overlap = cohen_kappa_matrix(labels)
    assert kappa[0, 1] == pytest.approx(0.4)
    assert kappa[1, 0] == pytest.approx(0.4)
    assert n_overlap.tolist() == [[57, 50], [50, 54]]
    assert kappa[0, 0] == 1.0


def test_cohen_kappa_matrix_is_nan_without_overlap():
    kappa, n_overlap = cohen_kappa_matrix([[0, -1], [-1, 1], [1, -1]])
    assert np.isnan(kappa[0, 1]) and n_overlap[0, 1] == 0


def test_fleiss_kappa_by_hand():
    # counts per row (class 0, class 1): (3, 0), (2, 1), (0, 3), (1, 2)
    # P_i = 1, 1/3, 1, 1/3 -> P_bar = 2/3; p = (6/12, 6/12) -> P_e = 1/2
    # kappa = (2/3 - 1/2) / (1/2) = 1/3
    labels = [[0, 0, 0], [0, 0, 1], [1, 1, 1], [1, 0, 1]]
    assert fleiss_kappa(labels) == pytest.approx(1 / 3)


def test_fleiss_kappa_varying_raters_and_single_label_rows():
    # (2, 0) -> P = 1; (1, 1) -> P = 0; the single-label row is left out.
    # p = (3/4, 1/4): P_e = 10/16; kappa = (1/2 - 10/16) / (6/16) = -1/3
    labels = [[0, 0, -1], [0, -1, 1], [-1, 1, -1]]
    assert fleiss_kappa(labels) == pytest.approx(-1 / 3)


def test_krippendorff_alpha_reproduces_the_published_example():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability",
    # section C: nominal data, 4 observers, 12 units, missing values;
    # published alpha = 0.743 (n = 40 pairable values).
    A = [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN]
    B = [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3]
    C = [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN]
    D = [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN]
    labels = np.array([A, B, C, D]).T
    alpha = krippendorff_alpha(labels)
    assert round(alpha, 3) == 0.743
    # its exact value: 1 - 39 * 10 / 1520 (10 disagreeing coincidences)
    assert alpha == pytest.approx(1 - 39 * 10 / 1520)


def test_perfect_agreement_and_two_annotators():
    assert krippendorff_alpha([[0, 0], [1, 1], [2, 2]]) == 1.0
    assert fleiss_kappa([[0, 0], [1, 1]]) == 1.0
    # two annotators, complete data: alpha = 1 - (n - 1) o_01 * 2 / (2 n_0 n_1)
    # rows (0,0), (1,1), (0,1): o_01 = o_10 = 1, n_0 = n_1 = 3, n = 6
    assert krippendorff_alpha([[0, 0], [1, 1], [0, 1]]) == pytest.approx(
        1 - 5 * 2 / (2 * 9)
    )


# -- consensus ----------------------------------------------------------------


def test_majority_vote_with_shares_and_seeded_ties():
    labels = [[0, 0, 1], [1, 1, -1], [2, 2, 2], [0, 1, -1]]
    result = consensus_labels(labels, random_state=0)
    assert result.labels[:3].tolist() == [0, 1, 2]
    assert result.confidence[:3] == pytest.approx([2 / 3, 1.0, 1.0])
    assert result.confidence[3] == 0.5
    assert result.n_iter == 0 and result.confusion is None
    # the tie of row 3 is broken by random_state: reproducible, both classes
    picks = {
        int(consensus_labels(labels, random_state=seed).labels[3]) for seed in range(20)
    }
    assert picks == {0, 1}
    again = consensus_labels(labels, random_state=7).labels
    assert np.array_equal(again, consensus_labels(labels, random_state=7).labels)


def test_annotator_accuracy_against_the_consensus_with_wilson_interval():
    labels = [[0, 0, 1], [1, 1, 1], [2, 2, 0], [0, 0, -1]]
    result = consensus_labels(labels, random_state=0)
    assert result.labels.tolist() == [0, 1, 2, 0]
    assert result.n_labels.tolist() == [4, 4, 3]
    assert result.annotator_accuracy == pytest.approx([1.0, 1.0, 1 / 3])
    assert result.accuracy_interval[2] == pytest.approx(wilson_interval(1, 3))
    assert result.accuracy_interval[0] == pytest.approx(wilson_interval(4, 4))


def test_one_dawid_skene_step_by_hand():
    # rows: (0, 0), (1, 1), (0, 1), (0, -); start: vote shares
    # T = (1, 0), (0, 1), (1/2, 1/2), (1, 0); smoothing 1 (Laplace)
    labels = [[0, 0], [1, 1], [0, 1], [0, -1]]
    result = consensus_labels(labels, method="dawid_skene", smoothing=1.0, max_iter=1)
    # priors: (2.5 + 1) / (4 + 2), (1.5 + 1) / 6
    assert result.priors == pytest.approx([7 / 12, 5 / 12])
    # annotator A says 0, 1, 0, 0. True 0: (2.5 + 1, 0 + 1) / 4.5;
    # true 1: (0.5 + 1, 1 + 1) / 3.5
    assert result.confusion[0] == pytest.approx(
        np.array([[7 / 9, 2 / 9], [3 / 7, 4 / 7]])
    )
    # annotator B says 0, 1, 1, -. True 0: (1 + 1, 0.5 + 1) / 3.5;
    # true 1: (0 + 1, 1.5 + 1) / 3.5
    assert result.confusion[1] == pytest.approx(
        np.array([[4 / 7, 3 / 7], [2 / 7, 5 / 7]])
    )
    # E step. Row 2 (A: 0, B: 1): 7/12 * 7/9 * 3/7 against 5/12 * 3/7 * 5/7
    row2 = np.array([7 / 12 * 7 / 9 * 3 / 7, 5 / 12 * 3 / 7 * 5 / 7])
    # row 3 (A: 0 only): 7/12 * 7/9 against 5/12 * 3/7
    row3 = np.array([7 / 12 * 7 / 9, 5 / 12 * 3 / 7])
    assert result.posteriors[2] == pytest.approx(row2 / row2.sum())
    assert result.posteriors[2, 0] == pytest.approx(343 / 568)
    assert result.posteriors[3] == pytest.approx(row3 / row3.sum())
    assert result.posteriors[3, 0] == pytest.approx(343 / 478)
    row0 = np.array([7 / 12 * 7 / 9 * 4 / 7, 5 / 12 * 3 / 7 * 2 / 7])
    assert result.posteriors[0] == pytest.approx(row0 / row0.sum())
    assert result.labels.tolist() == [0, 1, 0, 0]
    assert result.confidence[2] == pytest.approx(343 / 568)
    assert result.n_iter == 1


def _simulated_pool(seed, n_rows=400, n_classes=4, noise=(0.2, 0.3, 0.35)):
    """Honest annotators with uniform noise and one who maps class k to k + 1;
    each annotator labels each row with probability 0.8."""
    rng = np.random.RandomState(seed)
    truth = rng.randint(n_classes, size=n_rows)
    columns = []
    for rate in noise:
        flip = rng.random_sample(n_rows) < rate
        other = (truth + rng.randint(1, n_classes, size=n_rows)) % n_classes
        columns.append(np.where(flip, other, truth))
    confused = (truth + 1) % n_classes
    columns.append(np.where(rng.random_sample(n_rows) < 0.1, truth, confused))
    labels = np.column_stack(columns)
    labels[rng.random_sample(labels.shape) > 0.8] = -1
    empty = (labels < 0).all(axis=1)
    labels[empty, 0] = truth[empty]
    return labels, truth


@pytest.mark.parametrize("seed", range(4))
def test_dawid_skene_beats_majority_with_a_confusing_annotator(seed):
    labels, truth = _simulated_pool(seed)
    majority = consensus_labels(labels, random_state=seed)
    ds = consensus_labels(labels, method="dawid_skene", random_state=seed)
    acc_majority = np.mean(majority.labels == truth)
    acc_ds = np.mean(ds.labels == truth)
    assert acc_ds >= acc_majority
    assert acc_ds > 0.85
    # the confusing annotator is found out
    assert ds.annotator_accuracy[3] < 0.3
    assert ds.confusion[3, 0, 1] > 0.7


@pytest.mark.parametrize("method", ["majority", "dawid_skene", "model"])
@pytest.mark.parametrize("seed", range(3))
def test_permuting_annotators_leaves_the_consensus_unchanged(method, seed):
    labels, truth = _simulated_pool(seed, n_rows=150)
    order = np.random.RandomState(seed + 100).permutation(labels.shape[1])
    kwargs = {"method": method, "random_state": seed}
    if method == "model":
        scores = np.eye(4)[truth] + np.random.RandomState(seed).random_sample((150, 4))
        kwargs["pred_probs"] = scores / scores.sum(axis=1, keepdims=True)
    result = consensus_labels(labels, **kwargs)
    permuted = consensus_labels(labels[:, order], **kwargs)
    assert np.array_equal(result.labels, permuted.labels)
    assert np.allclose(result.confidence, permuted.confidence)
    assert np.allclose(result.annotator_accuracy[order], permuted.annotator_accuracy)


def test_dawid_skene_converges_and_keeps_string_classes():
    codes, truth = _simulated_pool(0, n_rows=200)
    names = np.array(["ant", "bee", "cat", "dog"], dtype=object)
    labels = np.where(codes >= 0, names[codes], None)
    result = consensus_labels(labels, method="dawid_skene", random_state=0)
    by_codes = consensus_labels(codes, method="dawid_skene", random_state=0)
    assert result.classes.tolist() == names.tolist()
    assert result.labels.tolist() == names[by_codes.labels].tolist()
    assert 1 <= result.n_iter < 200
    assert np.allclose(result.posteriors.sum(axis=1), 1.0)


def test_model_weighted_consensus_by_hand():
    # majority vote: 0, 1, 1, 0 (most common class share b = 1/2)
    labels = [[0, 0, 0], [1, 1, 0], [1, 1, 1], [0, 0, 0]]
    pred_probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
    result = consensus_labels(labels, method="model", pred_probs=pred_probs)
    # agreement with the others: annotators 0 and 1: 1, 1/2, 1, 1 -> 7/8;
    # annotator 2: 1, 0, 1, 1 -> 3/4. Weights 1 - (1 - A) / (1 - b):
    # 3/4, 3/4, 1/2. The model agrees with the vote on every row: weight 1,
    # times sqrt(3 labels per row). A row's labels equal its vote: 3/3, 2/3,
    # 3/3, 3/3, mean 11/12: a label counts as (11/12, 1/12) on its class.
    w_model, w = np.sqrt(3), np.array([0.75, 0.75, 0.5])
    one = {0: np.array([11 / 12, 1 / 12]), 1: np.array([1 / 12, 11 / 12])}
    for row in range(4):
        total = w_model * pred_probs[row] + sum(
            w[j] * one[labels[row][j]] for j in range(3)
        )
        assert result.posteriors[row] == pytest.approx(total / (w_model + 2.0))
    assert result.labels.tolist() == [0, 1, 1, 0]
    # a confident model overrules a two-to-one vote, though its weight falls
    # with its accuracy against the vote (3/4): (1 - (1/4) / (1/2)) sqrt(3)
    strong = pred_probs.copy()
    strong[1] = [0.999, 0.001]
    flipped = consensus_labels(labels, method="model", pred_probs=strong)
    w_model = 0.5 * np.sqrt(3)
    expected = (w_model * 0.999 + 2 * 0.75 / 12 + 0.5 * 11 / 12) / (w_model + 2.0)
    assert flipped.posteriors[1, 0] == pytest.approx(expected)
    assert expected > 0.5 and flipped.labels[1] == 0
    with pytest.raises(ValueError, match="pred_probs must have shape"):
        consensus_labels(labels, method="model", pred_probs=pred_probs[:2])
    with pytest.raises(ValueError, match="pred_probs is required"):
        consensus_labels(labels, method="model")
    with pytest.raises(ValueError, match="pred_probs is required"):
        consensus_labels(labels, pred_probs=pred_probs)
