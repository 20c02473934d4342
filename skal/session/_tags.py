"""Tags: several labels per row in a multi-label session.

In a session created with ``multi_label=True`` (``skal label --multi-label``)
a row's answer is a **tag set**: any subset of the session's classes, the
empty set included. The journal keeps it in its ordinary ``label`` column as
one canonical text, so the journal's schema, its replay and its kill-safety
are those of every session:

* the canonical encoding is a JSON list of the tag names in the order of the
  classes, written compactly (:func:`encode`): ``["bug","ui"]``, ``[]`` for
  no tag. One tag set has one encoding, and a tag name holding commas,
  quotes, brackets or text that looks like JSON is kept exactly, because
  JSON quotes it;
* :func:`decode` reads it back and refuses anything but a canonical
  encoding of tags of the session (replay refuses a journal holding one);
* :func:`parse_answer` reads what a person types in the terminal (``1,3``,
  ``bug, ui``, ``-`` or ``none`` for no tag) and :func:`read_list` what the
  page posts (a JSON list of tag names);
* :func:`indicator_matrix` turns tag sets into the 0/1 matrix a multi-label
  classifier trains on (``-1`` rows for unlabeled ones, the learner's
  missing marker), :func:`guess` a row of per-tag probabilities into the
  predicted tag set, and :func:`columns` a tag set into export columns.
"""

import json
import math

from ._errors import SessionError

#: What a person types for "no tag" (compared case-folded).
NO_TAG = ("-", "none")
#: How the terminal shows the syntax of an answer.
SYNTAX = "tags by number or name, separated by commas (e.g. 1,3), or - for no tag"


def encode(tags, classes):
    """The canonical text of a tag set: a compact JSON list of the tags in
    the order of ``classes``.

    Examples
    --------
    >>> encode({"ui", "bug"}, ["bug", "question", "ui"])
    '["bug","ui"]'
    >>> encode([], ["bug", "ui"])
    '[]'
    """
    chosen = set(tags)
    return json.dumps(
        [c for c in classes if c in chosen], ensure_ascii=False, separators=(",", ":")
    )


def decode(label, classes):
    """The tags of a canonical encoding, in class order (a tuple).

    Raises
    ------
    ValueError
        ``label`` is not the canonical encoding of a set of ``classes``.

    Examples
    --------
    >>> decode('["a,b","c"]', ["a,b", "c"])
    ('a,b', 'c')
    """
    tags = _names(label)
    if tags is None or not set(tags) <= set(classes) or encode(tags, classes) != label:
        raise ValueError(f"{label!r} is not a tag set of the classes")
    return tuple(tags)


def is_tag_set(label, classes):
    """Whether ``label`` is the canonical encoding of a set of ``classes``."""
    try:
        decode(label, classes)
    except ValueError:
        return False
    return True


def _names(text):
    """The list of strings a JSON text holds, or ``None``."""
    if not isinstance(text, str):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return value


def _from_names(names, classes, what):
    """The canonical encoding of tags given by name: each exactly a class,
    none twice (a :class:`SessionError` naming the first that is not)."""
    seen = set()
    for name in names:
        if name not in classes:
            raise SessionError(f"{what}: {name!r} is not a tag; the tags are {classes}")
        if name in seen:
            raise SessionError(f"{what}: {name!r} is given twice")
        seen.add(name)
    return encode(seen, classes)


def read_list(value, classes):
    """The canonical encoding of a JSON list of tag names (what the page
    posts), in any order; each must be a tag exactly, none twice.

    Raises
    ------
    SessionError
        ``value`` is not a JSON list of strings, names an unknown tag, or
        names one twice.

    Examples
    --------
    >>> read_list('["ui", "bug"]', ["bug", "ui"])
    '["bug","ui"]'
    """
    names = _names(value)
    if names is None:
        raise SessionError(
            "label: a JSON list of tag names (e.g. [] or "
            f"{encode(classes[:1], classes)}); got {str(value)[:60]!r}"
        )
    return _from_names(names, classes, "label")


def _piece(piece, classes, numbers):
    """The tag one comma-separated piece names: its number from 1 (if
    ``numbers``), its exact name, or its name up to case when only one tag
    has it."""
    if numbers and piece.isdigit():
        if 1 <= int(piece) <= len(classes):
            return classes[int(piece) - 1]
        raise SessionError(
            f"there is no tag number {piece}: the tags are numbered 1 to {len(classes)}"
        )
    if piece in classes:
        return piece
    folded = [c for c in classes if c.casefold() == piece.casefold()]
    if len(folded) == 1:
        return folded[0]
    raise SessionError(f"{piece!r} is not a tag; the tags are {', '.join(classes)}")


def parse_answer(text, classes, *, numbers=True):
    """The canonical encoding of a typed answer.

    An answer is the tags separated by commas, each by its number from 1
    (with ``numbers``) or its name (exactly, or up to case when that is
    unique), in any order: ``1,3`` or ``bug, ui``; ``-`` or ``none`` is no
    tag; a JSON list of names (``["bug","ui"]``, what ``skal export`` writes)
    is read too. A tag whose name holds a comma is typed by number, or alone
    by its whole name. An answer read two ways (a tag named ``a,b`` next to
    tags ``a`` and ``b``) is refused rather than guessed.

    Raises
    ------
    SessionError
        Empty, a tag given twice, an unknown number or name, or ambiguous;
        the message says the syntax.

    Examples
    --------
    >>> parse_answer("3, 1", ["bug", "question", "ui"])
    '["bug","ui"]'
    >>> parse_answer("none", ["bug", "ui"])
    '[]'
    """
    text = str(text).strip()
    if not text:
        raise SessionError(f"an empty answer; type {SYNTAX}")
    if text.casefold() in NO_TAG:
        return "[]"
    readings, errors = set(), []
    if text in classes:  # a whole name, commas and all
        readings.add(encode([text], classes))
    names = _names(text)
    if names is not None:
        try:
            readings.add(_from_names(names, classes, "answer"))
        except SessionError as error:
            errors.append(error)
    try:
        pieces = [p.strip() for p in text.split(",")]
        if not all(pieces):
            raise SessionError(f"{text!r} has an empty place between commas")
        tags = [_piece(p, classes, numbers) for p in pieces]
        twice = sorted({t for t in tags if tags.count(t) > 1})
        if twice:
            raise SessionError(f"{text!r} gives tag {twice[0]!r} twice")
        readings.add(encode(tags, classes))
    except SessionError as error:
        errors.append(error)
    if len(readings) == 1:
        return readings.pop()
    if readings:
        raise SessionError(
            f"{text!r} reads two ways (a tag's name holds a comma): type the tags "
            "by number"
        )
    raise SessionError(f"{errors[0]}; type {SYNTAX}")


def indicator_matrix(labels, classes):
    """The 0/1 matrix of tag sets, one column per class; a row of ``-1``
    for a ``None`` label (an unlabeled row, the learner's missing marker).

    Examples
    --------
    >>> indicator_matrix(['["a","c"]', None, "[]"], ["a", "b", "c"]).tolist()
    [[1, 0, 1], [-1, -1, -1], [0, 0, 0]]
    """
    import numpy as np

    column = {c: j for j, c in enumerate(classes)}
    Y = np.zeros((len(labels), len(classes)), dtype=int)
    for i, label in enumerate(labels):
        if label is None:
            Y[i] = -1
        else:
            Y[i, [column[t] for t in decode(label, classes)]] = 1
    return Y


def guess(probabilities, classes):
    """``[tag set, probability]`` the model guesses for one row: the tags of
    probability at least one half, and the probability of exactly that set
    were the tags independent (the product over the tags of ``p`` or
    ``1 - p``).

    Examples
    --------
    >>> guess([0.9, 0.2, 0.5], ["a", "b", "c"])
    ['["a","c"]', 0.36]
    """
    tags = [c for c, p in zip(classes, probabilities) if p >= 0.5]
    chance = math.prod(p if p >= 0.5 else 1 - p for p in map(float, probabilities))
    return [encode(tags, classes), round(chance, 4)]


def columns(label, classes):
    """A tag set as one 0/1 value per class (the ``--tags columns`` export).

    Examples
    --------
    >>> columns('["b"]', ["a", "b"])
    [0, 1]
    """
    tags = set(decode(label, classes))
    return [int(c in tags) for c in classes]


def describe(label, classes):
    """A tag set for people: the tags joined by ``", "``, ``"no tag"`` when
    empty; ``label`` itself when it is no tag set.

    Examples
    --------
    >>> describe('["a","b"]', ["a", "b"]), describe("[]", ["a", "b"])
    ('a, b', 'no tag')
    """
    try:
        tags = decode(label, classes)
    except ValueError:
        return label
    return ", ".join(tags) if tags else "no tag"


def tag_counts(label_counts, classes):
    """Tag -> rows carrying it, from a count of the labels (tag sets).

    Examples
    --------
    >>> tag_counts({'["a","b"]': 2, '["b"]': 1, "[]": 4}, ["a", "b"])
    {'a': 2, 'b': 3}
    """
    counts = dict.fromkeys(classes, 0)
    for label, n in label_counts.items():
        for tag in decode(label, classes):
            counts[tag] += n
    return counts


class TagSets:
    """The labels a multi-label session accepts (``label in tag_sets``): the
    canonical encodings of sets of ``classes``; what a replay checks each
    journaled label against."""

    def __init__(self, classes):
        self.classes = list(classes)

    def __contains__(self, label):
        return is_tag_set(label, self.classes)


def one_vs_rest(estimator):
    """``estimator`` made a multi-label classifier: one binary copy per tag
    (scikit-learn's ``OneVsRestClassifier``), around the last step of a
    ``Pipeline`` so its features are computed once. A tag seen only present
    or only absent among the labeled rows does not block training: it is
    predicted as that constant (see :mod:`skal.utils._multilabel`)."""
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import Pipeline

    if isinstance(estimator, Pipeline):
        *head, (name, last) = estimator.steps
        return Pipeline([*head, (name, OneVsRestClassifier(last))])
    return OneVsRestClassifier(estimator)


def training_target(y, config):
    """``(y, missing_label)`` the learner of ``config`` trains on, from an
    array of journaled labels (``None`` for the pool): the indicator matrix
    in a multi-label session, ``y`` itself otherwise."""
    if not config.multi_label:
        return y, None
    return indicator_matrix(list(y), config.classes), -1


#: The shapes of tags in a CSV export (``skal export --tags``): one 0/1
#: column per tag, or the tag set as its JSON list in the ``label`` column.
TAG_SHAPES = ("columns", "list")
#: Columns of a labels export besides the label: a tag of one of these names
#: cannot be a column of its own.
_OTHER_COLUMNS = ("id", "annotator", "time", "data_status")


def export_value(label, config, format):
    """A journaled label as an export writes it: the class itself, or in a
    multi-label session the list of tags (JSON formats) or its JSON text
    (CSV); ``None`` stays ``None``."""
    if label is None or not config.multi_label:
        return label
    return label if format == "csv" else list(decode(label, config.classes))


def csv_label_columns(config, tags="columns"):
    """The header cells a CSV labels export writes for the label: ``label``,
    or one per tag with ``tags="columns"`` in a multi-label session.

    Raises
    ------
    SessionError
        An unknown ``tags``, or a tag named like another column.
    """
    if tags not in TAG_SHAPES:
        raise SessionError(f"tags must be one of {', '.join(TAG_SHAPES)}; got {tags!r}")
    if not config.multi_label or tags == "list":
        return ["label"]
    clash = [c for c in config.classes if c in _OTHER_COLUMNS]
    if clash:
        raise SessionError(
            f"tag {clash[0]!r} is also the name of another column of the export: "
            "write the tags as a list (--tags list)"
        )
    return list(config.classes)


def csv_label_cells(label, config, tags="columns"):
    """The cells of :func:`csv_label_columns` for one label."""
    if not config.multi_label or tags == "list":
        return [label]
    return columns(label, config.classes)


def predicted(probabilities, classes, config):
    """``(prediction, confidence)`` of one row's ``predict_proba``: the most
    probable class, or in a multi-label session the :func:`guess`."""
    import numpy as np

    if config.multi_label:
        return tuple(guess(probabilities, config.classes))
    best = int(np.argmax(probabilities))
    return classes[best], float(probabilities[best])


class TagSetPredictor:
    """A fitted multi-label model whose ``predict`` gives each row's tag set
    as its journaled label (:func:`encode`), so it is scored against the
    journal's labels as a single-label model is: a row is right when its
    whole tag set is (subset accuracy)."""

    def __init__(self, model, classes):
        self.model = model
        self.classes = list(classes)

    def predict(self, X):
        import numpy as np

        rows = np.asarray(self.model.predict(X))
        return np.asarray(
            [encode(np.asarray(self.classes)[row == 1], self.classes) for row in rows],
            dtype=object,
        )


def label_predictor(model, config):
    """``model`` itself, or in a multi-label session a
    :class:`TagSetPredictor` around it."""
    return TagSetPredictor(model, config.classes) if config.multi_label else model
