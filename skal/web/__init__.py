"""Label in the browser: ``skal serve``, a local labeling page on a session.

A thin view over :mod:`skal.session`: a Starlette application (server-rendered
HTML, one small plain JavaScript file) over a :class:`WebSession`, which owns
the :class:`~skal.session.LabelingSession` on one writer thread, hands rows
out under leases to several annotators and retrains in the background. Every
request carries the session's secret token. Needs the ``label`` extra
(``pip install "scikit-al[label]"``); importing this package does not.
"""

from ._commands import add_serve_parser

__all__ = ["add_serve_parser"]
