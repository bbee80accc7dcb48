"""NumPy source from IR formulas: one temporary per shared DAG node.

The generated module defines one function per quantity (``value``,
``gradient``, ``hessian``, ``jacobian``); each takes the inputs dict and
computes every node it needs exactly once, in topological order.  The
source is produced from diffbench's own IR only (user text never reaches
``exec``), is size-independent (dims are read off the inputs), and can be
shown to the user.

Patterns that matter for speed:

* ``diag(d) M -> d[:, None] * M`` and ``M diag(d) -> M * d``: a diagonal
  matrix is never formed, so ``Xᵀ diag(d) X`` runs as ``(X.T * d) @ X``;
* transposes are views (``A.T``) inlined where used, so BLAS sees the
  transposed operand without a copy;
* products are ``@`` (BLAS), element-wise work is broadcasting, rank-3/4
  coefficients are one ``np.einsum`` with a contraction-order optimiser.
"""
from __future__ import annotations

import keyword
import re

import numpy as np

from ..ir import Node
from ..ops import TABLE

_UFUNC = {"exp": "np.exp", "log": "np.log", "sin": "np.sin", "cos": "np.cos", "tanh": "np.tanh",
          "sqrt": "np.sqrt", "inv": "np.linalg.inv", "det": "np.linalg.det", "tr": "np.trace",
          "outer": "np.outer", "diag_embed": "np.diag", "diag_part": "np.diag", "sum": "np.sum"}
_BINOP = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}


def _ident(prefix: str, name: str) -> str:
    base = re.sub(r"\W", "_", str(name))
    out = f"{prefix}{base}"
    return out + "_" if keyword.iskeyword(out) else out


class _Emitter:
    def __init__(self, var_shapes: dict[str, tuple]):
        self.var_shapes = var_shapes
        self.names: dict[int, str] = {}
        self.lines: list[str] = []
        self.count = 0
        self.used_vars: set[str] = set()
        self.used_dims: set[str] = set()

    # what an expression reads: diag(d) operands of a product read d, transposes read their argument
    @staticmethod
    def deps(n: Node) -> list[Node]:
        if n.op == "matmul":
            return [a.args[0] if a.op == "diag_embed" else a for a in n.args]
        return list(n.args)

    def order(self, roots: list[Node]) -> list[Node]:
        out, seen = [], set()
        for root in roots:
            if id(root) in seen:
                continue
            seen.add(id(root))
            stack = [(root, 0)]
            while stack:
                cur, i = stack[-1]
                ds = self.deps(cur)
                if i < len(ds):
                    stack[-1] = (cur, i + 1)
                    if id(ds[i]) not in seen:
                        seen.add(id(ds[i]))
                        stack.append((ds[i], 0))
                else:
                    stack.pop()
                    out.append(cur)
        return out

    def dim(self, d) -> str:
        if isinstance(d, int):
            return str(d)
        self.used_dims.add(d)
        return _ident("_n_", d)

    def shape(self, shape) -> str:
        parts = [self.dim(d) for d in shape]
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"

    def ref(self, n: Node) -> str:
        if n.op == "const":
            return repr(float(n.attr("value")))
        if n.op == "var":
            self.used_vars.add(n.attr("name"))
            return _ident("v_", n.attr("name"))
        if n.op == "transpose":
            return f"{self.ref(n.args[0])}.T"
        return self.names[id(n)]

    def expr(self, n: Node) -> str:
        op, args = n.op, n.args
        r = [self.ref(a) for a in self.deps(n)] if op != "transpose" else []
        if op == "matmul":
            a, b = args
            if a.op == "diag_embed":
                return f"{r[0]}[:, None] * {r[1]}" if b.ndim == 2 else f"{r[0]} * {r[1]}"
            if b.op == "diag_embed":
                return f"{r[0]} * {r[1]}"
            return f"{r[0]} @ {r[1]}"
        if op in _BINOP:
            return f"{r[0]} {_BINOP[op]} {r[1]}"
        if op == "neg":
            return f"-{r[0]}"
        if op == "inner":
            if args[0].ndim == 1:
                return f"{r[0]} @ {r[1]}"
            return f"np.sum({r[0]} * {r[1]})" if args[0].ndim else f"{r[0]} * {r[1]}"
        if op == "eye":
            return f"np.eye({self.dim(n.shape[0])})"
        if op == "ones":
            return f"np.ones({self.shape(n.shape)})"
        if op == "reshape":
            return f"np.reshape({r[0]}, {self.shape(n.shape)})"
        if op == "broadcast":
            return f"np.full({self.shape(n.shape)}, {r[0]})"
        if op == "einsum":
            return f"np.einsum({n.attr('spec')!r}, {', '.join(r)}, optimize=True)"
        if op == "sigmoid":  # stable and branch-free: σ(z) = (1 + tanh(z/2)) / 2
            return f"0.5 * (1.0 + np.tanh(0.5 * {r[0]}))"
        if op == "softplus":
            return f"np.logaddexp(0.0, {r[0]})"
        if op in _UFUNC:
            return f"{_UFUNC[op]}({', '.join(r)})"
        if op in TABLE and TABLE[op].impl is not None:
            extra = f", shape={self.shape(n.shape)}" if TABLE[op].needs_shape else ""
            return f"_impl[{op!r}]({', '.join(r)}{extra})"
        raise ValueError(f"codegen: no code for {op!r}")

    def emit(self, n: Node) -> None:
        if n.op in ("const", "var", "transpose") or id(n) in self.names:
            return
        name = f"t{self.count}"
        self.count += 1
        self.lines.append(f"    {name} = {self.expr(n)}")
        self.names[id(n)] = name


def _function(fname: str, outputs: dict, var_shapes: dict[str, tuple], zero_shapes: dict,
              scalar_out: bool = False) -> str:
    em = _Emitter(var_shapes)
    roots = [n for n in outputs.values() if n is not None]
    for n in em.order(roots):
        em.emit(n)
    results = []
    for key, n in outputs.items():
        if n is None:
            results.append((key, f"np.zeros({em.shape(zero_shapes[key])})"))
        elif n.op in ("var", "eye", "ones", "transpose", "const"):
            results.append((key, f"np.array({em.ref(n)}, dtype=float)"))
        else:
            results.append((key, em.ref(n)))
    head = [f"def {fname}(inputs):"]
    for name in sorted(em.used_vars):
        head.append(f"    {_ident('v_', name)} = inputs[{name!r}]")
    for d in sorted(em.used_dims):
        for vname, shape in var_shapes.items():
            if d in shape:
                head.append(f"    {_ident('_n_', d)} = np.shape(inputs[{vname!r}])[{list(shape).index(d)}]")
                break
    if scalar_out:
        tail = [f"    return {results[0][1]}"]
    else:
        tail = ["    return {" + ", ".join(f"{k!r}: {v}" for k, v in results) + "}"]
    return "\n".join(head + em.lines + tail)


def generate(groups: dict[str, dict], var_shapes: dict[str, tuple], zero_shapes: dict) -> str:
    """Source of a module with one function per group ``{fname: {key: node}}``.

    ``zero_shapes[key]`` is the shape of an output that is identically zero.
    """
    parts = ['"""Generated by diffbench.symbolic from its IR; sizes are read off the inputs."""',
             "import numpy as np", ""]
    for fname, outputs in groups.items():
        parts.append(_function(fname, outputs, var_shapes, zero_shapes, scalar_out=(fname == "value")))
        parts.append("")
    return "\n".join(parts)


def load(source: str) -> dict:
    """Execute generated source (diffbench's own, never user text)."""
    namespace = {"np": np, "_impl": {name: p.impl for name, p in TABLE.items()}}
    exec(compile(source, "<diffbench.symbolic generated>", "exec"), namespace)  # noqa: S102
    return namespace
