"""The estimated budget decays one multiplication a row, bit for bit.

Žliobaitė's estimate forgets with ``u = u * (w - 1) / w + label`` at every
row. The chunked code skips the rows where nothing happens; these tests put the
estimate where a shortcut changes the decision (``u * d**k`` instead of ``k``
multiplications lands on the other side of the limit) and check that the
chunked code decides as the row-by-row definition.
"""

from math import nextafter

import numpy as np
import pytest

from skal.stream import EstimatedBudget, VariableUncertainty
from skal.stream._budget import BudgetState

BUDGET, WINDOW = 0.1, 100
DECAY = (WINDOW - 1) / WINDOW


def row_by_row(estimate, wants):
    """Decisions of the estimate check alone, one row at a time."""
    decisions = []
    for want in wants:
        labeled = bool(want) and estimate / WINDOW < BUDGET
        estimate = estimate * DECAY + labeled
        decisions.append(labeled)
    return decisions, estimate


def on_the_edge(k):
    """An estimate whose ``k``-fold decay is open one way row by row and the
    other way as one power: the shortcut would decide differently."""

    def open_row_by_row(estimate):
        for _ in range(k):
            estimate *= DECAY
        return estimate / WINDOW < BUDGET

    up = down = BUDGET * WINDOW / DECAY**k
    for _ in range(5000):
        for estimate in (up, down):
            if open_row_by_row(estimate) != (estimate * DECAY**k / WINDOW < BUDGET):
                return estimate
        up, down = nextafter(up, np.inf), nextafter(down, 0)
    raise AssertionError("no estimate on the edge found")  # pragma: no cover


@pytest.mark.parametrize("k", [3, 7, 40])
def test_grant_decays_one_row_at_a_time(k):
    estimate = on_the_edge(k)
    wants = np.zeros(k + 5, dtype=bool)
    wants[k] = True
    gate = EstimatedBudget(BUDGET, WINDOW, cap=False)._gate(
        BudgetState(estimate=estimate)
    )
    mask = gate.grant(wants)
    expected, after = row_by_row(estimate, wants)
    assert mask.tolist() == expected
    assert gate.state.estimate == after


@pytest.mark.parametrize("k", [3, 7, 40])
def test_the_walk_decays_one_row_at_a_time(k):
    # every row wants a label (confidence 0 < threshold), so the estimate
    # alone decides; the walk skips the rows the estimate keeps closed
    estimate = on_the_edge(k)
    values = np.zeros(k + 5)
    gate = EstimatedBudget(BUDGET, WINDOW, cap=False)._gate(
        BudgetState(estimate=estimate)
    )
    state = VariableUncertainty()._initial_state()
    mask = VariableUncertainty()._scan(values, None, gate, BUDGET, 2, state)
    expected, after = row_by_row(estimate, np.ones(k + 5, dtype=bool))
    assert mask.tolist() == expected
    assert gate.state.estimate == after
