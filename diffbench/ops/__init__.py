"""The table of primitives both engines interpret (see ``core`` for what an
entry holds).  Families live in their own modules; importing this package
fills ``TABLE``."""
from . import prims  # noqa: F401  (the primitives as functions)
from . import axes, building, elementwise, linalg, reductions, structural  # noqa: F401  (fill TABLE)
from .core import HANDLERS, TABLE, Primitive, ShapeError, bind, build, shape_of

LEAVES = frozenset({"var", "const", "eye", "ones"})

__all__ = ["prims", "TABLE", "HANDLERS", "Primitive", "ShapeError", "bind", "build",
           "shape_of", "LEAVES"]
