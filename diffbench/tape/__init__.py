"""Tape-based reverse-mode AD: ``core`` (the tape), ``dual`` (batched forward
mode), ``operators`` (grad, vjp, jvp, jacobian, hvp, hessian), ``engine``."""
from . import dual  # noqa: F401  (registers the dual-number interpreter)
from .core import Program
from .operators import grad, hessian, hvp, jacobian, jacobian_forward, jacobian_reverse, jvp, value, vjp

__all__ = ["Program", "grad", "hessian", "hvp", "jacobian", "jacobian_forward", "jacobian_reverse",
           "jvp", "value", "vjp"]
