"""LabelingSession: a dataset, a learner configuration and a journal, together.

The journal is the source of truth; everything else is derived from it.

* Within a batch, an answer is one committed journal row and nothing else: no
  model is trained, so the next question follows at once.
* Between batches, :meth:`LabelingSession.advance` rebuilds a learner from the
  journal (a fresh :class:`~skal.ActiveLearner` fitted on every current label,
  rows in a canonical order, the random generator set to the state journaled
  after the previous draw), asks it for the next batch and journals the batch
  (row ids in order, the label count and digest of the model that chose it,
  the generator's state before and after) before its first question is shown.
* Reopening replays the events (no model is trained to show the pending
  questions); the next batch is drawn by the same code from the same journal,
  so a session that was killed asks what a session that never stopped would
  have asked.
"""

import getpass
import hashlib
import heapq
import json
import os
import warnings
from dataclasses import dataclass

from ._config import SessionConfig
from ._errors import SessionError, SessionLockedError
from ._journal import Journal
from ._lock import SessionLock
from ._replay import SessionState
from ._rows import load_csv, plain_text, rows_at

#: Rows whose predictions are compared from one model to the next (stop set).
STOP_SET_SIZE = 1000


@dataclass(frozen=True)
class Question:
    """The next row to label.

    Attributes
    ----------
    row_id : str
    text : str
        The row as plain text.
    guess : str or None
        The model's label for it, once a model exists.
    confidence : float or None
        The model's probability of ``guess``.
    loop : int
        The batch it belongs to (1 for the first).
    """

    row_id: str
    text: str
    guess: str | None
    confidence: float | None
    loop: int


def default_annotator():
    """The login name, or ``"annotator"``."""
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container, say)
        return "annotator"


def _rng_to_json(state):
    name, keys, pos, has_gauss, cached = state
    return [name, [int(k) for k in keys], int(pos), int(has_gauss), float(cached)]


def _rng_from_json(data):
    import numpy as np

    name, keys, pos, has_gauss, cached = data
    return (name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached)


class LabelingSession:
    """A labeling campaign whose every answer is journaled in an SQLite file.

    Create one with :meth:`create`, reopen it with :meth:`open`; a session
    opened to label holds the session's lock until :meth:`close`.

    Parameters
    ----------
    journal : Journal
    config : SessionConfig
    dataset : Dataset or None
        The CSV's rows; ``None`` for a read-only session without data.
    annotator : str
    lock : SessionLock or None

    Attributes
    ----------
    notices : list of str
        What the user should be told about opening: a lock taken over from a
        killed process, answered rows missing or changed in the data.
    """

    def __init__(self, journal, config, dataset, annotator, lock=None):
        self.journal = journal
        self.config = config
        self.dataset = dataset
        self.annotator = annotator
        self._lock = lock
        self.notices = []
        self.state = SessionState(journal.events(), journal.batches())
        self._untrusted = set()
        if dataset is not None:
            self._match_data()
        self._stop_ids = None

    # ----------------------------------------------------------- opening
    @classmethod
    def create(cls, path, data, config, annotator=None):
        """Start a new session at ``path`` (a file that must not exist yet).

        Parameters
        ----------
        path : str
            The session file to create.
        data : str
            The CSV file to label.
        config : SessionConfig
        annotator : str, optional
            Who answers; defaults to the login name.
        """
        from .. import __version__

        dataset = _load(data, config)
        config.data = os.path.abspath(data)
        lock = _take_lock(path)
        try:
            journal = Journal.create(path, config.to_json(), __version__)
            if not lock.attach():  # the lock follows the file just made
                journal.close()
                raise SessionLockedError(f"{path} was opened by another labeler")
            journal.set_holder()
        except BaseException:
            lock.release()
            raise
        return cls(journal, config, dataset, annotator or default_annotator(), lock)

    @classmethod
    def open(cls, path, data=None, *, readonly=False, annotator=None):
        """Reopen the session at ``path``.

        Parameters
        ----------
        path : str
        data : str, optional
            The CSV file; defaults to the one the session was created with.
            A read-only session may do without it (``data=False``).
        readonly : bool, default=False
            Open for ``status``/``export``: no lock, no write, works while
            someone labels.
        annotator : str, optional

        Raises
        ------
        NotASessionError
            The file is not a skal session (it is left unchanged).
        SessionLockedError
            Someone is labeling in this session.
        """
        if readonly:
            journal = Journal.open(path, readonly=True)
            lock = None
        else:
            # refuse a file that is not a session before a lock file appears
            Journal.open(path, readonly=True).close()
            lock = _take_lock(path)
            try:
                journal = Journal.open(path, readonly=False)
            except BaseException:
                lock.release()
                raise
        try:
            config = SessionConfig.from_json(journal.config_json())
            dataset = None
            if data is not False:
                dataset = _load(data or config.data, config)
            previous = None if readonly else journal.set_holder()
        except BaseException:
            journal.close()
            if lock is not None:
                lock.release()
            raise
        session = cls(journal, config, dataset, annotator or default_annotator(), lock)
        if previous is not None:
            host, pid, since = previous
            session.notices.insert(
                0,
                f"took over the lock of pid {pid} on {host} (labeling since "
                f"{since}), which is no longer running",
            )
        return session

    def close(self):
        """Release the lock and close the journal (answers are already saved)."""
        try:
            if self._lock is not None and not self.journal.readonly:
                self.journal.clear_holder()
        finally:
            self.journal.close()
            if self._lock is not None:
                self._lock.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _match_data(self):
        answered = {}
        for event in self.state.events.values():
            answered.setdefault(event["row_id"], event["content"])
        for row in self.state.asked():
            answered.setdefault(row, None)
        missing, changed = self.dataset.check_answers(answered)
        self._untrusted = set(missing) | set(changed)
        if changed:
            self.notices.append(
                f"{len(changed)} answered rows changed in the data since they were "
                f"answered (ids: {_some(changed)}); their answers are kept in the "
                "journal but not used to train"
            )
        if missing:
            self.notices.append(
                f"{len(missing)} rows of the journal are not in the data (removed, "
                f"or their content changed; ids: {_some(missing)}); their answers "
                "are kept in the journal but not used to train, nor asked again"
            )

    # ---------------------------------------------------------- questions
    @property
    def loop(self):
        """Batches drawn so far."""
        return len(self.state.batches)

    def pending(self):
        """Ids of the rows still to ask in this batch, next first."""
        return [r for r in self.state.pending() if r not in self._untrusted]

    def n_labeled(self):
        return sum(self.state.label_counts().values())

    def finished(self):
        """Why no more questions can come (budget reached, every row labeled or
        skipped), or ``None``."""
        if self.pending():
            return None
        budget = self.config.budget
        if budget is not None and self.n_labeled() >= budget:
            return f"the budget of {budget} labels is reached"
        if not self._pool_size():
            return "every row is labeled or skipped"
        return None

    def _pool_size(self):
        return len(self.dataset) - self.state.n_decided()

    def question(self):
        """The next :class:`Question`, or ``None`` when the batch is done
        (call :meth:`advance`)."""
        pending = self.pending()
        if not pending:
            return None
        row = pending[0]
        guess = confidence = None
        for batch in reversed(self.state.batches):
            if row in batch["row_ids"] and batch["guesses"]:
                guess, confidence = batch["guesses"][batch["row_ids"].index(row)]
                break
        return Question(row, self.dataset.render(row), guess, confidence, self.loop)

    # ------------------------------------------------------------ answers
    def check_label(self, label):
        """``label`` as one of the classes: a class name, or its number from 1."""
        classes = self.config.classes
        text = str(label).strip()
        if text.isdigit() and 1 <= int(text) <= len(classes):
            return classes[int(text) - 1]
        if text in classes:
            return text
        folded = [c for c in classes if c.casefold() == text.casefold()]
        if len(folded) == 1:
            return folded[0]
        raise SessionError(
            f"{label!r} is not a class; type a number from 1 to {len(classes)} or "
            f"one of: {', '.join(classes)}"
        )

    def record(self, kind, row, label, *, annotator=None, replaces=None):
        """Journal one event about ``row`` and apply it; committed on return.

        The one way every answer, skip, relabel and undo enters the journal
        (the terminal loop and the browser page alike).

        Parameters
        ----------
        kind : {"answer", "skip", "relabel", "undo"}
        row : str
            The row's stable id.
        label : str or None
        annotator : str or None, default=None
            Who gave it; ``None`` is the session's annotator.
        replaces : int or None, default=None
            The event a relabel or undo replaces.

        Returns
        -------
        event : dict
            The journaled event.
        """
        position = self.dataset.position[row]
        event = self.journal.add_event(
            kind,
            row,
            label,
            self.dataset.hash_at(position),
            self.annotator if annotator is None else annotator,
            self.loop,
            replaces,
        )
        self.state.apply(event)  # only once the journal has it
        return event

    def _record(self, kind, row, label, replaces=None):
        return self.record(kind, row, label, replaces=replaces)

    def answer(self, label):
        """Label the current question's row; committed when this returns."""
        pending = self.pending()
        if not pending:
            raise SessionError("no question is pending")
        return self._record("answer", pending[0], self.check_label(label))

    def skip(self):
        """Set the current question's row aside: it is not asked again."""
        pending = self.pending()
        if not pending:
            raise SessionError("no question is pending")
        return self._record("skip", pending[0], None)

    def undo(self):
        """Take back the latest answer, relabel or skip still in effect.

        Returns
        -------
        event : dict or None
            The event taken back (its row is asked next), or ``None`` if there
            is nothing to undo.
        """
        last = self.state.last_in_effect()
        if last is None:
            return None
        row = last["row_id"]
        restored = self.state.below(row)
        label = None if restored is None else restored["label"]
        if row not in self.dataset.position:
            raise SessionError(f"row {row} is not in the data any more")
        self._record("undo", row, label, replaces=last["id"])
        return last

    def relabel(self, row_id, label):
        """Change the label of an answered row (the old answer is kept)."""
        current = self.state.current(row_id)
        if current is None or current["kind"] == "skip":
            raise SessionError(f"row {row_id} has no label to change")
        if row_id not in self.dataset.position:
            raise SessionError(f"row {row_id} is not in the data any more")
        return self._record(
            "relabel", row_id, self.check_label(label), replaces=current["id"]
        )

    # ---------------------------------------------------------- the model
    def _training_set(self):
        """Rows the learner sees, in a canonical order (sorted ids, so a
        re-ordered file gives the same learner), and their labels."""
        import numpy as np

        skipped = set(self.state.skipped())
        labels = self.state.labels()
        ids = sorted(
            row
            for row in self.dataset.ids
            if row not in skipped and row not in self._untrusted
        )
        positions = np.fromiter(
            (self.dataset.position[row] for row in ids), dtype=np.intp, count=len(ids)
        )
        X = rows_at(self.dataset.X, positions)
        y = np.full(len(ids), None, dtype=object)
        for i, row in enumerate(ids):
            event = labels.get(row)
            if event is not None:
                y[i] = event["label"]
        return ids, X, y

    def _learner(self, ids, X, y, random_state=None, initial=None):
        from .. import ActiveLearner

        known = y[y != None]  # noqa: E711 (elementwise)
        if initial is None:
            initial = len(set(known.tolist())) < 2
        learner = ActiveLearner(
            self.config.make_estimator(),
            self.config.make_strategy(initial=initial),
            batch_size=self.config.batch_size,
            missing_label=None,
            random_state=random_state,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            learner.fit(X, y)
        return learner, initial

    def advance(self):
        """Train on every current label and journal the next batch.

        Returns
        -------
        batch : dict or None
            The batch journaled, or ``None`` if :meth:`finished` says why
            there is none.
        """
        with _one_blas_thread():
            return self._advance()

    def _advance(self):
        import numpy as np

        if self.pending():
            raise SessionError("the current batch still has questions")
        if self.finished():
            return None
        ids, X, y = self._training_set()
        labeled = [(row, label) for row, label in zip(ids, y) if label is not None]
        pool = len(ids) - len(labeled)
        n = min(self.config.batch_size, pool)
        if self.config.budget is not None:
            n = min(n, self.config.budget - self.n_labeled())
        if n <= 0:
            return None
        if self.state.batches:
            before = self.state.batches[-1]["rng_after"]
        else:
            before = _rng_to_json(
                np.random.RandomState(self.config.random_state).get_state()
            )
        # every random draw of the fit and the query comes from the journaled
        # state, so the batch is a function of the journal alone
        rng = np.random.RandomState()
        rng.set_state(_rng_from_json(before))
        learner, initial = self._learner(ids, X, y, random_state=rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            picked = learner.query(n_instances=n)
        after = _rng_to_json(rng.get_state())
        guesses = []
        stop_set = None
        if learner.estimator_ is not None:
            proba = learner.predict_proba(rows_at(X, np.asarray(picked)))
            classes = learner.classes_
            guesses = [
                [str(classes[k]), round(float(p[k]), 4)]
                for p, k in zip(proba, proba.argmax(axis=1))
            ]
            stop_set = self._stop_set_predictions(learner)
        batch = {
            "loop": self.loop + 1,
            "strategy": (
                self.config.initial_strategy if initial else self.config.strategy
            ),
            "row_ids": [ids[i] for i in picked],
            "guesses": guesses,
            "n_labels": len(labeled),
            "labels_digest": hashlib.sha256(
                json.dumps(labeled, separators=(",", ":")).encode()
            ).hexdigest(),
            "rng_before": before,
            "rng_after": after,
            "stop_set": stop_set,
        }
        self.journal.add_batch(batch)
        self.state.add_batch(batch)
        return batch

    def _stop_set_predictions(self, learner):
        """Predictions on a fixed set of rows (the stop set), for the
        stabilizing-predictions verdict of :meth:`status`."""
        import numpy as np

        if self._stop_ids is None:  # a fixed, pseudo-random set of rows
            ids = self.dataset.ids
            if self.config.id_column is None:  # ids are content hashes already
                self._stop_ids = sorted(ids)[:STOP_SET_SIZE]
            else:
                self._stop_ids = heapq.nsmallest(
                    STOP_SET_SIZE,
                    ids,
                    key=lambda row: hashlib.blake2b(row.encode()).digest(),
                )
        positions = [self.dataset.position[row] for row in self._stop_ids]
        predicted = learner.predict(rows_at(self.dataset.X, np.asarray(positions)))
        digest = hashlib.sha256("\n".join(self._stop_ids).encode()).hexdigest()
        return {"ids": digest[:16], "predictions": [str(p) for p in predicted]}

    def fitted_model(self):
        """A learner trained on every current label (``None`` without two
        classes)."""
        ids, X, y = self._training_set()
        learner, initial = self._learner(ids, X, y, random_state=0, initial=False)
        return learner if learner.estimator_ is not None else None

    def suspicious(self, n=5):
        """The ``n`` labels most likely wrong, by cross-validated self-confidence.

        Returns
        -------
        rows : list of (row_id, label, score)
        """
        from ._review import rank_suspicious

        labeled, X, y, folds = self._cross_validation_set()
        if labeled is None:
            raise SessionError(
                "review needs at least two labels of each of two classes"
            )
        with warnings.catch_warnings(), _one_blas_thread():
            warnings.simplefilter("ignore")
            order, scores = rank_suspicious(
                self.config.make_estimator(),
                X,
                y,
                cv=folds,
                random_state=self.config.random_state,
            )
        return [
            (labeled[i][0], labeled[i][1], float(s))
            for i, s in zip(order[:n], scores[:n])
        ]

    def _cross_validation_set(self):
        """``(labeled, X, y, folds)`` of the usable labels, ``folds`` at most 5
        and at most the smallest class count; all ``None`` without two labels
        of each of two classes."""
        import numpy as np

        labeled = self._usable_labels()
        counts = {}
        for _, label in labeled:
            counts[label] = counts.get(label, 0) + 1
        if len(counts) < 2 or min(counts.values()) < 2:
            return None, None, None, None
        positions = np.asarray([self.dataset.position[row] for row, _ in labeled])
        X = rows_at(self.dataset.X, positions)
        y = np.asarray([label for _, label in labeled], dtype=object).astype(str)
        return labeled, X, y, min(5, min(counts.values()))

    def _usable_labels(self):
        """``(row_id, label)`` of current labels whose row is in the data,
        unchanged, in canonical order."""
        labels = self.state.labels()
        return [
            (row, labels[row]["label"])
            for row in sorted(labels)
            if row not in self._untrusted and row in self.dataset.position
        ]

    # ----------------------------------------------------------- reporting
    def status(self, cv=True):
        """Counts, the model's cross-validated accuracy and the stopping
        verdict, as a dict (see :func:`skal.session._report.status`)."""
        from ._report import status

        return status(self, cv=cv)

    def export_labels(self, path):
        """Write ``id,label,annotator,time``, one line per labeled row, in the
        order they were labeled; returns the number of rows."""
        from ._report import export_labels

        return export_labels(self, path)

    def export_predictions(self, path):
        """Write every row of the data with its label (if any), the model's
        prediction and its confidence; returns the number of rows."""
        from ._report import export_predictions

        return export_predictions(self, path)


def _some(ids, n=5):
    """The first ``n`` ids as printable text."""
    shown = ", ".join(plain_text(row) for row in ids[:n])
    return shown + (", ..." if len(ids) > n else "")


def _one_blas_thread():
    """BLAS on one thread while the session trains: its models are small, and
    on a shared machine BLAS threads waiting for cores made a 10,000-label
    retraining five times slower (0.9 s -> 5 s, benchmarks/bench_session.py)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def _load(data, config):
    return load_csv(
        data,
        text_column=config.text_column,
        columns=config.columns,
        id_column=config.id_column,
    )


def _take_lock(path):
    """The session's lock, or a :class:`SessionLockedError` naming its holder."""
    lock = SessionLock(path)
    if lock.acquire():
        return lock
    holder = None
    if os.path.exists(path):
        try:
            journal = Journal.open(path, readonly=True)
            holder = journal.holder()
            journal.close()
        except SessionError:
            pass
    who = (
        f"pid {holder[1]} on host {holder[0]}, labeling since {holder[2]}"
        if holder
        else "another process"
    )
    raise SessionLockedError(
        f"{path} is open for labeling by {who}; status and export work meanwhile"
    )
