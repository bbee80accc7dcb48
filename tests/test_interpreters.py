"""Every interpreter of the op table knows every primitive.

Adding a primitive is one record in the table plus its tests: the tape and
forward mode run its VJP and JVP rules, the symbolic engine its tangent
rule, the scalar SymPy baseline and the framework engines their own
tables, generated code and printing their spelling of it.  This fails,
naming the interpreter, when one of them lacks a primitive that its record
does not declare out of reach (``unsupported_by``)."""
from __future__ import annotations

import pytest

from diffbench.engines.frameworks import autograd_engine, common, jax_engine, torch_engine
from diffbench.engines.sympy_scalar import scalar_impls
from diffbench.ops import TABLE


class Anything:
    """Stands in for a framework namespace: every attribute exists."""

    def __getattr__(self, name):
        return Anything()

    def __call__(self, *args, **kwargs):
        return Anything()


def _knows(table: dict):
    return lambda name: name in table


INTERPRETERS = {
    "tape": lambda name: not TABLE[name].differentiable or (
        len(TABLE[name].vjp) == TABLE[name].arity and len(TABLE[name].jvp) == TABLE[name].arity),
    "symbolic": lambda name: TABLE[name].arity == 0 or not TABLE[name].differentiable or (
        len(TABLE[name].symbolic.get("jvp", ())) == TABLE[name].arity),
    "sympy-scalar": _knows(scalar_impls()),
    "autograd": _knows(autograd_engine.op_map(Anything(), Anything())),
    "jax": _knows(jax_engine.op_map(Anything(), Anything())),
    "torch": _knows(torch_engine.op_map(Anything())),
    "generated code": lambda name: TABLE[name].impl is not None,
}
PRIMITIVES = sorted(set(TABLE) - common.BOUND)


@pytest.mark.parametrize("interpreter", sorted(INTERPRETERS))
def test_every_interpreter_knows_every_primitive(interpreter):
    knows = INTERPRETERS[interpreter]
    lacking = [name for name in PRIMITIVES if interpreter not in TABLE[name].unsupported_by and not knows(name)]
    assert not lacking, f"{interpreter} has no rule for {', '.join(lacking)} (add it, or list it in unsupported_by)"


def test_a_new_primitive_without_rules_is_caught(monkeypatch):
    from diffbench.ops import shapes as S
    from diffbench.ops.core import Primitive

    monkeypatch.setitem(TABLE, "cube", Primitive("cube", 1, S.same, lambda x: x ** 3))
    lacking = sorted(i for i, knows in INTERPRETERS.items() if not knows("cube"))
    assert lacking == ["autograd", "jax", "symbolic", "sympy-scalar", "tape", "torch"]


def test_an_interpreter_out_of_reach_says_so_on_the_record():
    unknown = {i for prim in TABLE.values() for i in prim.unsupported_by} - set(INTERPRETERS)
    assert not unknown, f"unsupported_by names no interpreter: {unknown}"


OUT_OF_SYMPY = sorted(n for n in PRIMITIVES if "sympy-scalar" in TABLE[n].unsupported_by)


@pytest.mark.parametrize("name", OUT_OF_SYMPY)
def test_sympy_scalar_refuses_what_it_lacks_naming_it(name):
    """Declared out of reach is reported as unsupported with the primitive's
    name, before any SymPy work: never a crash, never a wrong derivative."""
    from test_ops_table import EXAMPLES, _probe

    from diffbench.engines import get_engine
    from diffbench.errors import Unsupported

    fn, inputs, _ = _probe(name, EXAMPLES[TABLE[name].shape][0], seed=0)
    with pytest.raises(Unsupported, match=rf"unsupported: {name} \(sympy-scalar has no scalar rule\)"):
        get_engine("sympy-scalar").prepare(fn, [v for v in fn.shapes if v != "C"], fn.bind(inputs), 1)
