"""diffbench: symbolic matrix calculus and tape reverse-mode AD, compared.

>>> import numpy as np, diffbench
>>> out = diffbench.derivatives("x'*A*x", {"x": np.ones(2), "A": np.eye(2)}, wrt="x")
>>> out["gradient"]
array([2., 2.])
"""
from .api import derivatives, parse
from .catalogue import CATALOGUE, get_entry
from .operators import hessian_trace, hvp, jacobian

__version__ = "0.1.0"


def trace(fn, shapes=None, sizes=None, name=None):
    """A NumPy-style Python function traced into a Function (see
    :func:`diffbench.tracing.trace`); write it with ``import diffbench.numpy as np``."""
    from .tracing import trace as _trace

    return _trace(fn, shapes=shapes, sizes=sizes, name=name)


def derive(expr, wrt, shapes=None, order=2):
    """Closed-form gradient and Hessian formulas (the symbolic engine)."""
    from .symbolic.api import derive as _derive

    return _derive(expr, wrt, shapes=shapes, order=order)


__all__ = ["parse", "derivatives", "derive", "jacobian", "hvp", "hessian_trace", "trace", "CATALOGUE", "get_entry", "__version__"]
