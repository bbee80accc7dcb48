"""Tape-based reverse-mode AD: ``core`` (the tape), ``dual`` (batched forward
mode), ``operators`` (grad, vjp, jvp, hvp, hessian), ``cost`` (the choice of
mode, and ``jacobian`` in the chosen mode), ``engine``."""
from . import dual  # noqa: F401  (registers the dual-number interpreter)
from .core import Program
from .cost import jacobian
from .operators import grad, hessian, hvp, jacobian_forward, jacobian_reverse, jvp, value, vjp

__all__ = ["Program", "grad", "hessian", "hvp", "jacobian", "jacobian_forward", "jacobian_reverse",
           "jvp", "value", "vjp"]
