"""Studies a job can ask for as quantities, beside value/gradient/hessian:

* ``derivatives``: the 1st to 6th derivatives along one scalar variable, and
  the curves of the function and its derivatives over [-7, 7] (the seeds'
  tanh figure);
* ``descent``: gradient descent with the engine's gradient (exact, or a
  zero-order estimate) from the task's inputs, f(x_k) - f* against k and
  against wall time;
* ``newton``: Newton's method with the engine's Hessian, same record.

Each is a callable over the inputs (timed by the harness like any quantity)
with a ``record(inputs)`` of what the report draws (kept in the result's
stats).  Optimisation runs are long: jobs asking for them set ``repeat = 1``.
"""
from __future__ import annotations

from .descent import DescentRun, NewtonRun
from .higher import DerivativesRun

#: quantity -> study run made from a prepared engine and the task
STUDIES = {"derivatives": DerivativesRun, "descent": DescentRun, "newton": NewtonRun}
#: the derivative order each study prepares its engine for
ORDERS = {"derivatives": 6, "descent": 1, "newton": 2}


def quantity_call(prepared, quantity: str, task: dict | None = None):
    """What the harness times for ``quantity``: an engine method, or a study run."""
    if quantity in STUDIES:
        return STUDIES[quantity](prepared, task or {})
    return getattr(prepared, quantity)
