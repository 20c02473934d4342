"""Label in the browser: a local labeling page on a session (``skal serve``).

A thin view over :mod:`skal.session`: a Starlette application (server-rendered
HTML, one small plain JavaScript file) over a :class:`WebSession`, which owns
the :class:`~skal.session.LabelingSession` on one writer thread, hands rows
out under leases to several annotators and retrains in the background. Every
API request carries the session's secret token in a header (the page gets it
from the address's fragment: :func:`page_address`). Needs the ``label`` extra
(``pip install "scikit-al[label]"``) for :func:`create_app`; importing this
package does not. The command itself is :mod:`skal.cli.serve`.
"""

from ._auth import Identities, issue_token, new_token, page_address
from ._service import WebError, WebSession, check_annotator, open_or_create

__all__ = [
    "Identities",
    "WebError",
    "WebSession",
    "check_annotator",
    "create_app",
    "issue_token",
    "new_token",
    "open_or_create",
    "page_address",
]


def __getattr__(name):
    # create_app imports Starlette: only when asked for
    if name == "create_app":
        from ._app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
