import numpy as np
import pytest
from _diversity_helpers import make_context, paired_gain_over_random, text_data
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_iris
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import pairwise_distances
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skal import ActiveLearner
from skal.strategies import ProbCover, top_k
from skal.strategies._probcover import delta_ball_graph, greedy_cover, purity_delta
from skal.utils import _radius_graph
from skal.utils._radius_graph import radius_graph


def brute_force_probcover(X, labeled, pool, n, delta, random_state):
    """Greedy max coverage on the dense N x N ball matrix, gains recounted."""
    ball = pairwise_distances(X) <= delta
    covered = ball[labeled].any(axis=0) if len(labeled) else np.zeros(len(X), bool)
    picked = []
    for _ in range(n):
        gain = (ball[pool][:, ~covered]).sum(axis=1).astype(float)
        gain[picked] = -1
        position = int(top_k(gain, 1, random_state)[0])
        picked.append(position)
        covered |= ball[pool[position]]
    return np.array(picked), covered.mean()


def definition_graph(X, delta):
    """The ball matrix by its definition: ``||x - y|| <= delta``, dense, float64."""
    X = np.asarray(X, dtype=float)
    return np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)) <= delta


def old_sklearn_probcover(X, labeled, pool, n, delta, random_state):
    """ProbCover before the pruned graph: scikit-learn radius queries, same greedy."""
    order = np.r_[pool, labeled].astype(int)
    graph = delta_ball_graph(X[order], delta, 2048, 10**9)
    return greedy_cover(graph, len(pool), n, random_state)


@pytest.fixture
def tiny_leaves(monkeypatch):
    """Leaves of 5 rows, blocks of 7 columns, 3 leaves per task: every path of
    the pruned graph (many leaves, split blocks, several tasks) on small pools."""
    monkeypatch.setattr(_radius_graph, "LEAF_SIZE", 5)
    monkeypatch.setattr(_radius_graph, "BLOCK_COLUMNS", 7)
    monkeypatch.setattr(_radius_graph, "LEAVES_PER_TASK", 3)


def lattice(rng):
    """Integer points: many pairs exactly 1, 2, 3 or 5 apart, and duplicates."""
    X = rng.randint(0, 5, size=(150, 3)).astype(float)
    X[:20] = X[20:40]
    return X


@pytest.mark.parametrize(
    "make, deltas",
    [
        (lambda rng: rng.normal(size=(300, 20)), [3.0, 5.0]),
        (lambda rng: rng.normal(size=(250, 2)) * [5.0, 0.2], [0.1, 0.4]),
        (
            lambda rng: np.vstack([rng.normal(c, 0.3, size=(60, 5)) for c in range(4)]),
            [0.5, 1.0, 3.0],
        ),
        (lattice, [1.0, 2.0, 3.0, 5.0]),
        (lambda rng: rng.uniform(size=(1, 4)), [0.5]),
        (lambda rng: np.zeros((12, 3)), [1e-9]),
        (lambda rng: rng.normal(size=(80, 6)), [1e6]),  # every pair in
        (lambda rng: 1e8 + rng.normal(size=(200, 3)), [1.0]),  # a large offset
        (lambda rng: 1e16 * rng.normal(size=(100, 3)), [5e15]),  # float64 filters
    ],
)
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_pruned_graph_is_the_definition(tiny_leaves, make, deltas, n_jobs):
    X = make(np.random.RandomState(0))
    for delta in deltas:
        graph = radius_graph(X, delta, 10**9, n_jobs=n_jobs)
        np.testing.assert_array_equal(graph.toarray(), definition_graph(X, delta))


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.lists(st.integers(-3, 3), min_size=3, max_size=3), min_size=1, max_size=40
    ),
    delta=st.sampled_from([0.5, 1.0, 2.0, 3.0, 5.0]),
    leaf_size=st.integers(1, 6),
)
def test_pruned_graph_is_the_definition_on_integer_points(rows, delta, leaf_size):
    # integer coordinates: many pairs exactly delta apart, and duplicates
    X = np.array(rows, dtype=float)
    saved = _radius_graph.LEAF_SIZE
    _radius_graph.LEAF_SIZE = leaf_size
    try:
        graph = radius_graph(X, delta, 10**9)
    finally:
        _radius_graph.LEAF_SIZE = saved
    np.testing.assert_array_equal(graph.toarray(), definition_graph(X, delta))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pruned_graph_equals_the_old_sklearn_graph(seed):
    rng = np.random.RandomState(seed)
    X = np.vstack([rng.normal(rng.uniform(-4, 4, 8), 1.0, size=(400, 8)) for _ in "ab"])
    for delta in (1.5, 2.5):
        new = radius_graph(X, delta, 10**9)
        old = delta_ball_graph(X, delta, 97, 10**9)
        assert new.nnz > 2 * X.shape[0]  # more than the diagonal
        assert (new != old).nnz == 0


def test_pruned_graph_refuses_more_than_max_edges_naming_the_parameter():
    X = np.random.RandomState(0).normal(size=(60, 3))
    nnz = int(definition_graph(X, 1.0).sum())
    assert radius_graph(X, 1.0, nnz).nnz == nnz  # exactly max_edges: accepted
    with pytest.raises(ValueError, match="delta=1 gives more than max_edges"):
        radius_graph(X, 1.0, nnz - 1, name="delta")


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_pruned_graph_stops_early_when_every_pair_is_in(tiny_leaves, n_jobs):
    X = np.random.RandomState(0).normal(size=(400, 3))
    with pytest.raises(ValueError, match="max_edges=500"):
        radius_graph(X, 1e6, 500, n_jobs=n_jobs)
    # one task measures no more than needed to know it is over max_edges
    finder = _radius_graph._LeafPairs(X, 1e6)
    i, j = finder.pairs(0, finder.starts.size - 1, 500)
    assert 500 < 2 * i.size - np.count_nonzero(i == j) <= 500 + 2 * 5 * 7


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("labeled", [[], [5, 17, 300]])
def test_picks_equal_the_old_sklearn_implementation(tiny_leaves, seed, labeled):
    rng = np.random.RandomState(seed)
    X = np.vstack(
        [rng.normal(rng.uniform(-3, 3, 6), 1.0, size=(200, 6)) for _ in "abc"]
    )
    strategy = ProbCover()
    context = make_context(X, labeled, seed=seed, classes=np.arange(3), n_jobs=2)
    picks = strategy.select(context, 12)
    expected = old_sklearn_probcover(
        X,
        labeled,
        make_context(X, labeled).pool_indices,
        12,
        strategy.delta_,
        # the same stream after the two draws of delta="auto"
        replay_auto_delta_draws(seed, X.shape[0]),
    )
    np.testing.assert_array_equal(picks, expected)


def replay_auto_delta_draws(seed, n):
    """The learner's ``RandomState`` after the k-means seed and the purity sample."""
    random_state = np.random.RandomState(seed)
    random_state.randint(np.iinfo(np.int32).max)
    random_state.choice(n, min(n, 2000), replace=False)
    return random_state


def test_graph_equals_the_dense_ball_matrix_and_is_symmetric():
    X = np.random.RandomState(0).normal(size=(120, 3))
    graph = delta_ball_graph(X, 0.9, chunk_size=17, max_edges=10**6)
    dense = pairwise_distances(X) <= 0.9
    np.testing.assert_array_equal(graph.toarray(), dense)
    assert (graph != graph.T).nnz == 0


@pytest.mark.parametrize("labeled", [[], [2, 50, 77]])
def test_picks_and_coverage_equal_brute_force(labeled):
    X = np.random.RandomState(1).normal(size=(90, 2))
    context = make_context(X, labeled, seed=4, chunk_size=13)
    picks = ProbCover(delta=0.6).select(context, 8)
    expected, coverage = brute_force_probcover(
        X, labeled, context.pool_indices, 8, 0.6, np.random.RandomState(4)
    )
    np.testing.assert_array_equal(picks, expected)
    ball = pairwise_distances(X) <= 0.6
    reached = ball[np.r_[labeled, context.pool_indices[picks]].astype(int)]
    assert reached.any(axis=0).mean() == coverage


def test_covered_everything_then_random_picks():
    X = np.random.RandomState(2).normal(size=(30, 2))
    picks = ProbCover(delta=100.0).select(make_context(X, seed=0), 5)
    assert len(set(picks)) == 5
    # the first pick covers all; the rest come from the seed
    others = ProbCover(delta=100.0).select(make_context(X, seed=1), 5)
    assert set(picks[1:]) != set(others[1:])


def test_auto_delta_is_the_purity_quantile_by_brute_force():
    X = np.random.RandomState(3).normal(size=(200, 2))
    clusters = (X[:, 0] > 0).astype(int) + 2 * (X[:, 1] > 0)
    delta = purity_delta(X, clusters, 0.9, 10_000, np.random.RandomState(0))
    D = pairwise_distances(X)
    nearest_other = np.where(clusters[:, None] != clusters[None, :], D, np.inf)
    r = nearest_other.min(axis=1)
    assert delta == pytest.approx(np.quantile(r, 0.1))
    # by construction about 90% of the delta-balls hold one cluster
    pure = [np.all(clusters[D[i] <= delta] == clusters[i]) for i in range(200)]
    assert np.mean(pure) == pytest.approx(0.9, abs=0.01)


def test_auto_delta_is_stored_and_used():
    X, _ = load_iris(return_X_y=True)
    strategy = ProbCover()
    picks = strategy.select(make_context(X, classes=np.arange(3)), 5)
    assert 0 < strategy.delta_ < np.inf
    # the same delta given by hand, after the same two draws, gives the same picks
    context = make_context(X)
    context.random_state.randint(np.iinfo(np.int32).max)  # the k-means seed
    context.random_state.choice(150, 150, replace=False)  # the purity sample
    np.testing.assert_array_equal(
        ProbCover(delta=strategy.delta_).select(context, 5), picks
    )


def test_too_large_graph_is_refused_naming_delta():
    X = np.random.RandomState(0).normal(size=(100, 2))
    with pytest.raises(ValueError, match="delta"):
        ProbCover(delta=10.0, max_edges=500).select(make_context(X), 3)


def test_initial_set_beats_random_on_digits_paired_over_seeds():
    gains = paired_gain_over_random(ProbCover(), n_initial=10)
    assert np.mean(gains) > 0.02  # measured: +0.053 (per seed -0.015 to +0.156)


def test_cold_start_with_a_tfidf_pipeline_and_grid_search():
    docs, y = text_data()
    model = make_pipeline(TfidfVectorizer(), LogisticRegression())
    learner = ActiveLearner(
        model,
        ProbCover(),
        initial_strategy=ProbCover(),
        n_initial=4,
        budget=12,
        batch_size=4,
        random_state=0,
    )
    learner.fit(docs, y)
    assert [r["strategy"] for r in learner.history_] == ["ProbCover"] * 3
    search = GridSearchCV(learner, {"query_strategy__purity": [0.9, 0.99]}, cv=2)
    search.fit(docs, y)
    assert search.best_params_["query_strategy__purity"] in (0.9, 0.99)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"delta": -1.0}, "delta"),
        ({"delta": "wide"}, "delta"),
        ({"purity": 0.0}, "purity"),
        ({"n_clusters": 0}, "n_clusters"),
        ({"max_edges": 0}, "max_edges"),
    ],
)
def test_invalid_parameters_are_named(params, match):
    X = np.random.RandomState(0).normal(size=(10, 2))
    with pytest.raises((TypeError, ValueError), match=match):
        ProbCover(**params).select(make_context(X), 2)


def test_same_picks_for_any_chunk_size_and_n_jobs():
    X, _ = load_iris(return_X_y=True)
    reference = ProbCover().select(make_context(X, [0, 60], seed=2), 6)
    for chunk_size, n_jobs in [(7, 2), (1000, 2), (40, 1)]:
        context = make_context(X, [0, 60], seed=2, chunk_size=chunk_size, n_jobs=n_jobs)
        np.testing.assert_array_equal(ProbCover().select(context, 6), reference)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("delta", [0.2, 0.35, 0.5])
@pytest.mark.parametrize("labeled", [[], [3, 40, 41, 99]])
def test_picks_equal_brute_force_across_seeds_and_radii(seed, delta, labeled):
    X = np.random.RandomState(10 + seed).normal(size=(110, 3)) * [1.0, 0.5, 0.3]
    context = make_context(X, labeled, seed=seed, chunk_size=23)
    picks = ProbCover(delta=delta).select(context, 10)
    expected, coverage = brute_force_probcover(
        X, labeled, context.pool_indices, 10, delta, np.random.RandomState(seed)
    )
    assert coverage < 1  # every pick is a greedy one (no random fill)
    np.testing.assert_array_equal(picks, expected)


def test_purity_radius_by_hand_on_five_points():
    # clusters {0, 1, 2} and {5, 7} on a line: the distance of each row to the
    # nearest row of the other cluster is r = [5, 4, 3, 3, 5]; the 1 - 0.6
    # quantile of r (linear, sorted [3, 3, 4, 5, 5], index 0.4 * 4 = 1.6) is
    # 3 + 0.6 * (4 - 3) = 3.6
    X = np.array([[0.0], [1.0], [2.0], [5.0], [7.0]])
    clusters = np.array([0, 0, 0, 1, 1])
    delta = purity_delta(X, clusters, 0.6, 5, np.random.RandomState(0))
    assert delta == pytest.approx(3.6)
    # balls of radius 3.6: {0,1,2}, {0,1,2}, {0,1,2,5}, {2,5,7}, {5,7}: 3 of 5 pure
    D = pairwise_distances(X)
    pure = [np.all(clusters[D[i] <= delta] == clusters[i]) for i in range(5)]
    assert pure == [True, True, False, False, True]


def test_auto_clustering_is_lloyds_kmeans_up_to_the_work_bound(monkeypatch):
    from skal.strategies import _probcover

    X = np.random.RandomState(5).normal(size=(300, 4))

    def auto_delta(clustering):
        strategy = ProbCover(clustering=clustering)
        strategy.select(make_context(X, classes=np.arange(3)), 3)
        return strategy.delta_

    kmeans, minibatch = auto_delta("kmeans"), auto_delta("minibatch")
    assert kmeans != minibatch  # the two pseudo-labelings differ here
    assert auto_delta("auto") == kmeans  # 300 x 3 <= the bound
    monkeypatch.setattr(_probcover, "PSEUDO_LABEL_KMEANS_MAX_WORK", 899)
    assert auto_delta("auto") == minibatch
