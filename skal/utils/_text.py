"""User text on its way out: to a terminal, and to a spreadsheet.

Labels, ids and annotator names come from people and files skal does not
control. Two places read them as more than text:

* a **terminal** obeys control characters: ``ESC [ 2 J`` clears the screen,
  other sequences retitle the window or rewrite what was printed before, and
  bidirectional overrides reorder what the reader sees;
* a **spreadsheet** evaluates a cell that starts with ``=``, ``+``, ``-`` or
  ``@`` as a formula (and tab or carriage return let a cell start with one),
  which can fetch addresses or run commands when the file is opened
  ("CSV injection", OWASP).

:func:`printable` and :func:`spreadsheet_safe` neutralize both, losslessly
enough for a reader to see what was there.
"""

import re

#: Characters a terminal may act on: C0 and C1 controls, DEL, and the Unicode
#: bidirectional embeddings, overrides and isolates.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")

#: A cell a spreadsheet may read as a formula starts with one of these.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _escape(match):
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text):
    """``text`` with every control character written as an escape.

    Each control character becomes its Python escape (``"\\x1b"``,
    ``"\\u202e"``), so a name cannot clear, retitle or reorder the terminal,
    and the reader still sees which bytes were there. Other characters,
    accents and scripts included, are kept.

    Examples
    --------
    >>> printable("ann\\x1b[2Jie")
    'ann\\\\x1b[2Jie'
    >>> printable("Zoë")
    'Zoë'
    """
    return _CONTROL.sub(_escape, str(text))


def spreadsheet_safe(cell):
    """``cell`` as a spreadsheet shows it as text, never as a formula.

    The usual rule (OWASP, "CSV injection"): a cell starting with ``=``,
    ``+``, ``-``, ``@``, tab or carriage return gets a leading apostrophe,
    which spreadsheets read as "this is text" and do not display. A plain
    number such as ``-1`` or ``+2.5e3`` is left alone: it is not a formula,
    and prefixing it would change a value a program reads back.

    Examples
    --------
    >>> spreadsheet_safe("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> spreadsheet_safe("-1"), spreadsheet_safe("bug")
    ('-1', 'bug')
    """
    text = str(cell)
    if text.startswith(FORMULA_TRIGGERS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text
