"""Retraining in the background: the page never waits for the model.

The web session's writer thread owns the session and its journal. When
answers have come in, the :class:`Retrainer` thread asks it for a snapshot
(the events and batches so far), rebuilds a :class:`DraftSession` from that
snapshot -- the same :meth:`~skal.session.LabelingSession.advance` code, on a
copy of the state, writing to no file -- trains, draws the next batch, and
hands the batch back to the writer thread, which journals it (with the label
count and digest of the model that chose it). Meanwhile answers keep being
committed and rows keep being handed out from the previous batches.
"""

import threading
import time
import warnings

from ..session import LabelingSession

#: Compute a new point of the learning curve when the labels have grown by
#: this fraction (and at least ``CURVE_MIN_STEP`` labels) since the last one.
CURVE_GROWTH = 0.2
CURVE_MIN_STEP = 10


class _SnapshotJournal:
    """The events and batches of a session at one moment, read-only; a batch
    drawn from them is kept in :attr:`added` instead of being written."""

    readonly = True

    def __init__(self, events, batches):
        self._events = events
        self._batches = batches
        self.added = []

    def events(self):
        return self._events

    def batches(self):
        return self._batches

    def add_batch(self, batch):
        self.added.append(batch)


class DraftSession(LabelingSession):
    """A session's state at one moment, to train on without its journal.

    Built from a snapshot of the events and batches; :meth:`advance` draws
    the batch that the session would draw now (the same code), leaving out
    the rows in ``exclude`` (rows on someone's screen) and the rows still
    pending, and writes nothing.

    Parameters
    ----------
    config : SessionConfig
    dataset : Dataset
    events, batches : list of dict
        The session's events and batches, oldest first.
    exclude : set of str, optional
        Rows not to ask about in the next batch.
    """

    def __init__(self, config, dataset, events, batches, exclude=()):
        super().__init__(_SnapshotJournal(events, batches), config, dataset, "draft")
        self._exclude = set(exclude)

    def pending(self):
        # the web session hands out pending rows while the next batch is drawn
        return []

    def _training_set(self):
        ids, X, y = super()._training_set()
        if not self._exclude:
            return ids, X, y
        import numpy as np

        from ..session._rows import rows_at

        keep = [
            i
            for i, row in enumerate(ids)
            if row not in self._exclude or y[i] is not None
        ]
        at = np.asarray(keep, dtype=np.intp)
        return [ids[i] for i in keep], rows_at(X, at), y[at]


class Retrainer:
    """A thread that retrains whenever :meth:`poke` says answers came in.

    Parameters
    ----------
    snapshot : callable
        ``snapshot() -> (config, dataset, events, batches, exclude) or None``;
        ``None`` when no new batch is needed. Runs on the writer thread.
    deliver : callable
        ``deliver(batch, n_batches_before)`` journals the batch (on the writer
        thread) unless another batch came first.
    on_model : callable, optional
        ``on_model(draft, batch)`` after each batch (learning curve, stopping
        verdict); errors are reported, never raised.
    """

    def __init__(self, snapshot, deliver, on_model=None):
        self._snapshot = snapshot
        self._deliver = deliver
        self._on_model = on_model
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.busy = False
        self.rounds = 0
        self.last_error = None
        self.last_seconds = None
        self._thread = threading.Thread(
            target=self._run, name="skal-retrainer", daemon=True
        )

    def start(self):
        self._thread.start()

    def poke(self):
        """Answers came in: retrain when the current round is over."""
        self._wake.set()

    def stop(self, timeout=30):
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self):
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self._round()
            except Exception as error:  # keep serving answers; say why
                self.last_error = f"{type(error).__name__}: {error}"
                time.sleep(1.0)  # do not spin on a persistent failure

    def _round(self):
        snap = self._snapshot()
        if snap is None:
            return
        config, dataset, events, batches, exclude = snap
        self.busy = True
        start = time.perf_counter()
        try:
            draft = DraftSession(config, dataset, events, batches, exclude)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                batch = draft.advance()
            if batch is not None:
                self._deliver(batch, len(batches))
            self.rounds += 1
            self.last_seconds = time.perf_counter() - start
            self.last_error = None
            if self._on_model is not None:
                self._on_model(draft, batch)
        finally:
            self.busy = False
