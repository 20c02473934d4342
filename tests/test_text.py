"""Text on its way to a terminal or a spreadsheet (skal/utils/_text.py)."""

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from skal.utils import printable, spreadsheet_safe


def test_printable_escapes_terminal_sequences_and_bidi_overrides():
    assert printable("a\x1b]0;owned\x07b") == "a\\x1b]0;owned\\x07b"
    assert printable("x\u202eevil") == "x\\u202eevil"
    assert printable("line\nnext\r") == "line\\x0anext\\x0d"
    assert printable("\x9b31m") == "\\x9b31m"  # C1 CSI
    assert printable("Zoë 田中 🙂") == "Zoë 田中 🙂"


BIDI = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _acted_on(ch):
    return unicodedata.category(ch) == "Cc" or ch in BIDI


@given(st.text())
def test_printable_leaves_nothing_a_terminal_acts_on(text):
    assert not any(_acted_on(ch) for ch in printable(text))


@given(st.text())
def test_printable_changes_only_what_a_terminal_acts_on(text):
    if not any(_acted_on(ch) for ch in text):
        assert printable(text) == text
    else:
        assert printable(text) != text


def test_spreadsheet_safe_follows_the_owasp_rule():
    for cell in ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]:
        assert spreadsheet_safe(cell) == "'" + cell
    for cell in ["bug", "-1", "+2.5e3", "0.5", "", "a=b", "'quoted"]:
        assert spreadsheet_safe(cell) == cell
    assert spreadsheet_safe(-1) == "-1"


@given(st.text())
def test_spreadsheet_safe_never_yields_a_formula_start(text):
    safe = spreadsheet_safe(text)
    assert safe in (text, "'" + text)
    if safe == text and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        float(text)  # only plain numbers keep their sign
