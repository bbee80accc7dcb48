"""Formulas written the way the seed notes write them: text, LaTeX, MathML.

One walk over the IR (:func:`render`) decides the notation -- ``⟨a, x⟩``
for inner products, ``A⁻ᵀ`` for an inverse transposed, ``u vᵀ`` for outer
products, juxtaposition for products, ``⊙`` for Hadamard products, ``σ``
for the logistic function, and index notation ``H[i,j,k,l]`` for
4th-order tensors -- and a :class:`Style` per output format spells it.
Parentheses come from precedence, never from the tree shape alone.
"""
from __future__ import annotations

import html
import itertools
import math
import re
from fractions import Fraction

from ..ir import Node, topological
from ..ops import TABLE
from .einsum import parse_spec

ADD, MUL, NEG, POST, ATOM = 1, 2, 2, 4, 5


def _number(v: float) -> tuple[str, str, str]:
    """(text, numerator, denominator) of a constant, as a short fraction when exact."""
    if not math.isfinite(v):  # x/0 folds to a constant ∞: printed, never a Fraction of it
        text = "NaN" if v != v else "∞"
        return text, text, ""
    if float(v).is_integer():
        return str(int(v)), str(int(v)), ""
    f = Fraction(v).limit_denominator(100)
    if float(f) == v and (f.denominator <= 12 or abs(f.numerator) == 1 and _repeats(f.denominator)):
        return f"{f.numerator}/{f.denominator}", str(f.numerator), str(f.denominator)
    return repr(float(v)), repr(float(v)), ""


def _repeats(q: int) -> bool:
    """Whether 1/q has no short decimal (a prime factor besides 2 and 5): 1/14 reads better
    than 0.07142857142857142, while 1/100 stays 0.01."""
    for p in (2, 5):
        while q % p == 0:
            q //= p
    return q > 1


class Style:
    """How one output format spells each construct (text by default)."""

    minus, times_h, cdot = "−", " ⊙ ", " "

    def sym(self, name):
        return name

    def ones(self, ndim: int):
        """𝟏 for a vector of ones, 𝟏𝟏ᵀ for a matrix: one symbol, one meaning."""
        return self.one() if ndim < 2 else self.row(self.one(), self.sup(self.one(), "T"))

    def num(self, v):
        return _number(v)[0]

    def paren(self, s):
        return f"({s})"

    def row(self, *parts):
        return "".join(parts)

    def op(self, o):
        return f" {o} "

    def sup(self, base, s):
        table = {"T": "ᵀ", "-1": "⁻¹", "-T": "⁻ᵀ", "2": "²", "3": "³"}
        if s in table:
            return base + table[s]
        if s.isdigit():  # x⁴ ... x¹²: the higher derivatives' powers
            return base + s.translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
        # a^(b − 1), x^(5/2): an exponent that is not one token keeps its grouping
        return f"{base}^{s}" if _TOKEN.match(s) else f"{base}^({s})"

    def func(self, name, arg):
        return f"{name}({arg})"

    def angle(self, a, b):
        return f"⟨{a}, {b}⟩"

    def frac(self, a, b, pa, pb):
        return f"{a if pa > ADD else self.paren(a)} / {b if pb >= POST else self.paren(b)}"

    def sqrt(self, a):
        return f"√({a})"

    def norm(self, a):
        return f"‖{a}‖"

    def index(self, base, idx):
        return f"{base}[{','.join(idx)}]"

    def sigma(self, idx, body):
        sep = "" if all(len(i) == 1 for i in idx) else ","  # Σ_pq, but Σ_p′,q′ and Σ_p,p7
        return f"Σ_{sep.join(idx)} {body}"

    def one(self):
        return "𝟏"

    def eye(self):
        return "I"


class Latex(Style):
    minus, times_h, cdot = "-", r" \odot ", " "

    def sym(self, name):
        head = name.rstrip("0123456789")
        tail = name[len(head):]
        if len(head) > 1 and not head.startswith("\\"):
            head = rf"\mathrm{{{head}}}"
        return f"{head}_{{{tail}}}" if tail and head else name

    def num(self, v):
        text, p, q = _number(v)
        if text == "∞":
            return r"\infty"
        return rf"\frac{{{p}}}{{{q}}}" if q else text

    def paren(self, s):
        return rf"\left({s}\right)"

    def sup(self, base, s):
        return f"{base}^{{{s}}}" if len(s) > 1 else f"{base}^{s}"

    def func(self, name, arg):
        return rf"{name}\left({arg}\right)"

    def angle(self, a, b):
        return rf"\langle {a}, {b} \rangle"

    def frac(self, a, b, pa, pb):
        return rf"\frac{{{a}}}{{{b}}}"

    def sqrt(self, a):
        return rf"\sqrt{{{a}}}"

    def norm(self, a):
        return rf"\left\| {a} \right\|"

    def index(self, base, idx):
        return f"{{{base}}}_{{{_latex_indices(idx)}}}"

    def sigma(self, idx, body):
        return rf"\sum_{{{_latex_indices(idx)}}} {body}"

    def one(self):
        return r"\mathbf{1}"


class MathML(Style):
    """Presentation MathML (fragments; :func:`math_block` wraps them)."""

    minus, times_h, cdot = "<mo>−</mo>", "<mo>⊙</mo>", "<mo>&#x2062;</mo>"

    def sym(self, name):
        head = name.rstrip("0123456789")
        tail = name[len(head):]
        mi = f"<mi>{html.escape(head)}</mi>"
        return f"<msub>{mi}<mn>{tail}</mn></msub>" if tail and head else mi

    def num(self, v):
        text, p, q = _number(v)
        return f"<mfrac><mn>{p}</mn><mn>{q}</mn></mfrac>" if q else f"<mn>{text}</mn>"

    def paren(self, s):
        return f"<mrow><mo>(</mo>{s}<mo>)</mo></mrow>"

    def row(self, *parts):
        return "<mrow>" + "".join(parts) + "</mrow>"

    def op(self, o):
        return f"<mo>{html.escape(o)}</mo>"

    def sup(self, base, s):
        sup = {"T": "<mi mathvariant=\"normal\">T</mi>", "-1": "<mrow><mo>−</mo><mn>1</mn></mrow>",
               "-T": "<mrow><mo>−</mo><mi mathvariant=\"normal\">T</mi></mrow>"}.get(
                   s, s if s.startswith("<") else f"<mn>{s}</mn>")  # a formula exponent is markup already
        return f"<msup>{base}{sup}</msup>"

    def func(self, name, arg):
        return f"<mrow><mi>{html.escape(name)}</mi><mo>&#x2061;</mo>{self.paren(arg)}</mrow>"

    def angle(self, a, b):
        return f"<mrow><mo>⟨</mo>{a}<mo>,</mo>{b}<mo>⟩</mo></mrow>"

    def frac(self, a, b, pa, pb):
        return f"<mfrac>{a}{b}</mfrac>"

    def sqrt(self, a):
        return f"<msqrt>{a}</msqrt>"

    def norm(self, a):
        return f"<mrow><mo>‖</mo>{a}<mo>‖</mo></mrow>"

    def index(self, base, idx):
        return f"<msub>{base}<mrow>{''.join(f'<mi>{i}</mi>' for i in idx)}</mrow></msub>"

    def sigma(self, idx, body):
        return (f"<mrow><munder><mo>∑</mo><mrow>{''.join(f'<mi>{i}</mi>' for i in idx)}</mrow></munder>"
                f"{body}</mrow>")

    def one(self):
        return "<mn mathvariant=\"bold\">1</mn>"

    def eye(self):
        return "<mi>I</mi>"


STYLES = {"text": Style(), "latex": Latex(), "mathml": MathML()}


def render(n: Node, fmt: str = "text", bound: dict | None = None) -> str:
    """``n`` written in ``fmt`` (``text``, ``latex`` or ``mathml`` fragment).

    ``bound`` maps ``id(node)`` to a name printed in its place (shared
    subexpressions of long formulas, see :func:`shared_subexpressions`).
    """
    return _Printer(STYLES[fmt], bound or {}).go(n)[0]


def shared_subexpressions(roots: list[Node], taken: set[str], min_size: int = 5) -> dict[int, tuple[str, Node]]:
    """Subformulas used more than once (and not tiny), named ``z1, z2 …``
    in topological order, so long formulas can print ``where z1 = …``."""
    order = topological(roots)
    refs: dict[int, int] = {}
    size: dict[int, int] = {}
    for n in order:
        size[id(n)] = 1 + sum(size[id(a)] for a in n.args)
        for a in set(map(id, n.args)):
            refs[a] = refs.get(a, 0) + 1
    for r in roots:
        refs[id(r)] = refs.get(id(r), 0) + 1
    prefix = next(p for p in ("z", "u", "q", "zz") if not any(t.startswith(p) for t in taken))
    out: dict[int, tuple[str, Node]] = {}
    for n in order:
        if n.args and refs.get(id(n), 0) >= 2 and size[id(n)] >= min_size and n.op != "transpose":
            out[id(n)] = (f"{prefix}{len(out) + 1}", n)
    return out


_TOKEN = re.compile(r"[\w.]+\Z")


_NAME = re.compile(r"[A-Za-z_]\w*")


def taken_names(root: Node, order: list[Node] | None = None) -> set[str]:
    """Every variable and dimension name in ``root`` (``order``: its nodes, when
    known): an index must not be spelled like one (a dim ``k`` beside an index
    ``k`` reads two ways)."""
    taken: set[str] = set()
    for m in order if order is not None else topological(root):
        if m.op == "var":
            taken.add(m.attr("name"))
        for d in m.shape:
            if isinstance(d, str):
                taken.update(_NAME.findall(d))
    return taken


def _fresh(first: str, letters: str, count: int, avoid: set[str], depth: int) -> list[str]:
    """``count`` index names from ``letters`` (then ``first`` numbered), none in
    ``avoid``; a block nested ``depth`` deep marks its names with primes, so an
    inner block never reuses a name of a block around it."""
    mark = "′" * depth
    pool = (c + mark for c in letters)
    numbered = (f"{first}{n}{mark}" for n in itertools.count(len(letters)))
    out: list[str] = []
    for name in itertools.chain(pool, numbered):
        if len(out) == count:
            break
        if name not in avoid:
            out.append(name)
    return out


def index_names(count: int, taken: set[str] = frozenset(), depth: int = 0) -> list[str]:
    """The free indices of a tensor block: i, j, k, l, then i4, i5, ... skipping the
    names in ``taken`` (one list for the left-hand side and the formula, so a
    6-index block names all six on both)."""
    return _fresh("i", "ijkl", count, set(taken), depth)


def _latex_indices(idx) -> str:
    """``ijkl`` when every index is one letter; ``i,j,i4`` and ``i',k'`` otherwise,
    so ``i4`` never reads as the two indices ``i`` and ``4``."""
    names = [i.replace("′", "'") for i in idx]
    return ("" if all(len(i) == 1 for i in idx) else ",").join(names)


class _Printer:
    def __init__(self, st: Style, bound: dict):
        self.st = st
        self.bound = bound
        self.memo: dict[int, tuple[str, int]] = {}
        self.taken: set[str] = set()
        self.depth: dict[int, int] = {}

    def go(self, n: Node) -> tuple[str, int]:
        order = topological(n)
        self.taken = taken_names(n, order)
        self.depth = _einsum_depths(n, order)
        # iterative pre-pass keeps deep formulas off the recursion limit
        for m in order:
            if id(m) in self.memo:
                continue
            if id(m) in self.bound and m is not n:
                self.memo[id(m)] = (self.st.sym(self.bound[id(m)][0]), ATOM)
            else:
                self.memo[id(m)] = self.node(m)
        return self.memo[id(n)]

    def operand(self, n, prec):
        """A printed argument, in parentheses when it binds looser than ``prec``."""
        s, q = self.memo[id(n)]
        return s if q >= prec else self.st.paren(s)

    def factor(self, n):
        """An operand of a matrix product or a scaling: a Hadamard product (or a
        quotient) there is parenthesised, so ``Xᵀ (a ⊙ b)`` never reads ``Xᵀ a ⊙ b``."""
        s, q = self.memo[id(n)]
        two_kinds = n.op in ("mul", "div") and q == MUL and id(n) not in self.bound and (
            n.op == "div" or (n.args[0].shape == n.args[1].shape and n.shape != ()))
        return self.st.paren(s) if q < MUL or two_kinds else s

    def later_factor(self, n):
        """A factor after the first: one that prints with a leading minus is
        parenthesised, so Aᵀ (−𝟏) never reads as the difference Aᵀ − 𝟏."""
        s = self.factor(n)
        return self.st.paren(s) if s.startswith(self.st.minus) else s

    def node(self, n: Node) -> tuple[str, int]:
        st, op, a = self.st, n.op, n.args
        if op == "var":
            return st.sym(n.attr("name")), ATOM
        if op == "const":
            v = n.attr("value")
            return (st.row(st.minus, st.num(-v)), NEG) if v < 0 else (st.num(v), ATOM)
        if op == "eye":
            return st.eye(), ATOM
        if op == "ones":
            return st.ones(n.ndim), (ATOM if n.ndim < 2 else MUL)
        if op in ("add", "sub"):  # a broadcast scalar in a sum reads as the scalar: a + x
            a = [x.args[0] if x.op == "broadcast" else x for x in a]
        if op == "add":
            right = self.operand(a[1], ADD)
            if right.startswith(st.minus):  # x + −y reads x − y
                return st.row(self.operand(a[0], ADD), st.op("−" if st is not STYLES["latex"] else "-"),
                              right[len(st.minus):]), ADD
            return st.row(self.operand(a[0], ADD), st.op("+"), right), ADD
        if op == "sub":
            right = self.operand(a[1], MUL)
            if right.startswith(st.minus):  # x − −2 y reads x + 2 y
                return st.row(self.operand(a[0], ADD), st.op("+"), right[len(st.minus):]), ADD
            return st.row(self.operand(a[0], ADD), st.op("−" if st is not STYLES["latex"] else "-"), right), ADD
        if op == "neg":
            inner = self.operand(a[0], MUL)
            if inner.startswith(st.minus):  # never −−x
                inner = st.paren(self.memo[id(a[0])][0])
            return st.row(st.minus, inner), NEG
        if op in ("mul", "div", "pow") and n.shape == () and all(x.shape == () for x in a):
            printed = self.monomial(n)
            if printed is not None:
                return printed
        if op == "mul":
            x, y = a
            if x.op == "div" and x.args[0].op == "const" and x.args[0].attr("value") == 1.0 and y.shape != ():
                return st.frac(self.operand(y, MUL), self.operand(x.args[1], MUL), MUL, self.memo[id(x.args[1])][1]), MUL
            if x.shape == y.shape and x.shape != ():
                return st.row(self.operand(x, MUL + 1), st.times_h, self.operand(y, MUL + 1)), MUL
            return st.row(self.factor(x), st.cdot, self.later_factor(y)), MUL
        if op == "div":
            (sa, pa), (sb, pb) = self.memo[id(a[0])], self.memo[id(a[1])]
            if a[0].op == "const" and _number(a[0].attr("value"))[2]:  # (p/q) / x -> p / (q x)
                _, num, den = _number(a[0].attr("value"))
                return st.frac(st.num(float(num)), st.row(st.num(float(den)), st.cdot, self.operand(a[1], MUL + 1)),
                               ATOM, MUL), MUL
            return st.frac(sa, sb, pa, pb), MUL
        if op == "matmul":
            return st.row(self.factor(a[0]), st.cdot, self.later_factor(a[1])), MUL
        if op == "outer":
            return st.row(self.factor(a[0]), st.cdot, st.sup(self.operand(a[1], POST + 1), "T")), MUL
        if op == "transpose":
            if a[0].op == "inv":
                return st.sup(self.operand(a[0].args[0], POST + 1), "-T"), POST
            return st.sup(self.operand(a[0], POST + 1), "T"), POST
        if op == "inv":
            return st.sup(self.operand(a[0], POST + 1), "-1"), POST
        if op == "pow":
            e = a[1]
            exp_text = st.num(e.attr("value")) if e.op == "const" else self.memo[id(e)][0]
            key = str(int(e.attr("value"))) if e.op == "const" and float(e.attr("value")).is_integer() else exp_text
            return st.sup(self.operand(a[0], POST + 1), key), POST
        if op == "inner":
            return st.angle(self.memo[id(a[0])][0], self.memo[id(a[1])][0]), ATOM
        if op == "sum" and a[0].op in ("ones", "broadcast"):  # sum(𝟏) is the entry count: n, n m
            count = self.entry_count(a[0].shape)
            if a[0].op == "ones":
                return count, (MUL if a[0].ndim > 1 else ATOM)
            return st.row(count, st.cdot, self.operand(a[0].args[0], MUL + 1)), MUL
        if op == "tr" and a[0].op == "eye":  # the trace of the identity is its size
            return self.entry_count(a[0].shape[:1]), ATOM
        if op == "norm2":
            return st.norm(self.memo[id(a[0])][0]), ATOM
        if op == "sqrt":
            return st.sqrt(self.memo[id(a[0])][0]), ATOM
        if op == "reshape":
            if n.shape[:1] == (1,) and a[0].ndim == 1:
                return st.sup(self.operand(a[0], POST + 1), "T"), POST
            return self.memo[id(a[0])]
        if op == "broadcast":
            if a[0].op == "const" and a[0].attr("value") == 0:
                return st.num(0.0), ATOM  # 0 𝟏 is the zero vector: 0
            return st.row(self.operand(a[0], MUL), st.cdot, st.ones(n.ndim)), MUL
        if op == "einsum":
            return self.einsum(n), MUL
        if op == "exp" and a[0].op == "sub" and a[0].args[1].op == "logsumexp" \
                and a[0].args[1].args[0] is a[0].args[0]:  # exp(u - logsumexp(u))
            name = r"\operatorname{softmax}" if st is STYLES["latex"] else "softmax"
            return st.func(name, self.memo[id(a[0].args[0])][0]), ATOM
        if op in ("sum_axis", "logsumexp_axis", "softmax", "tril", "triu"):
            return self.with_number(n), ATOM
        if op == "spread":  # v repeated along an axis: an outer product with a ones vector
            v = self.operand(a[0], POST + 1)
            if a[0].ndim == 0:
                return st.row(self.operand(a[0], MUL), st.cdot, st.one()), MUL
            if n.attr("axis") == 0:
                return st.row(st.one(), st.cdot, st.sup(v, "T")), MUL
            return st.row(self.operand(a[0], MUL), st.cdot, st.sup(st.one(), "T")), MUL
        if op == "adj_derivative":
            return self.adj_derivative(n)
        if op == "unkron":  # the adjoint of kron in one factor, with the factor it stands for marked
            other = self.operand(a[1], POST)
            blank = r"\cdot" if st is STYLES["latex"] else ("<mo>·</mo>" if isinstance(st, MathML) else "·")
            times = r" \otimes " if st is STYLES["latex"] else ("<mo>⊗</mo>" if isinstance(st, MathML) else " ⊗ ")
            pair = st.row(blank, times, other) if n.attr("side") == "left" else st.row(other, times, blank)
            return st.angle(self.memo[id(a[0])][0], pair), ATOM
        if op == "take":
            # postfix, as in the language: x[2]², A[2, :]ᵀ need no parentheses
            return self.indexed(self.operand(a[0], ATOM), self.slots(n.attr("index"), a[0].shape, n.shape)), ATOM
        if op == "put":
            return self.put(n)
        if op == "concat" and n.attr("axis") in (0, 1):
            sep = ", " if n.attr("axis") == 1 else "; "
            if isinstance(st, MathML):
                return st.row("<mo>[</mo>", self.memo[id(a[0])][0], f"<mo>{sep.strip()}</mo>",
                              self.memo[id(a[1])][0], "<mo>]</mo>"), ATOM
            left, right = (r"\left[", r"\right]") if st is STYLES["latex"] else ("[", "]")
            return f"{left}{self.memo[id(a[0])][0]}{sep}{self.memo[id(a[1])][0]}{right}", ATOM
        if op == "unvec":  # vec's inverse: the columns of the variable's shape refilled
            name = r"\operatorname{vec}^{-1}" if st is STYLES["latex"] else "vec⁻¹"
            return st.func(name, self.memo[id(a[0])][0]), ATOM
        printed = TABLE[op].printed if op in TABLE else None
        if printed:  # the record's name for it
            text, latex = printed
            name = latex if st is STYLES["latex"] else text
            return st.func(name, ", ".join(self.memo[id(x)][0] for x in a)), ATOM
        name = op
        if st is STYLES["latex"]:  # kron set bare reads k·r·o·n in italics
            name = r"\operatorname{%s}" % op.replace("_", r"\_")
        return st.func(name, ", ".join(self.memo[id(x)][0] for x in a)), ATOM

    def monomial(self, n: Node):
        """A scalar product, quotient or power printed as one fraction: numbers
        multiplied out, like factors collected (``a 2 n n`` reads ``2 a n²``,
        ``(1/(2u)) (1/(2√u))`` reads ``1 / (4 u^(3/2))``). ``None`` when the plain
        printing says the same."""
        coef, powers = _Monomial(self.bound).collect(n)
        if coef is None:
            return None
        st = self.st
        if coef == 0:
            return st.num(0.0), ATOM
        _, p, q = _number(abs(coef))
        if q and all(e > 0 for _, e in powers.values()):  # 1/2 a w², as a number leads elsewhere
            p, q = st.num(abs(coef)), ""
        num_parts = [] if p == "1" and powers else [st.num(float(p)) if q else st.num(abs(coef))]
        den_parts = [st.num(float(q))] if q else []
        for key, (base, e) in powers.items():
            (num_parts if e > 0 else den_parts).append(self.power(key, base, abs(e)))
        numer = self.juxtaposed(num_parts or [st.num(1.0)])
        body = numer
        if den_parts:
            single = len(den_parts) == 1 and (q or self._atomic_part(powers))
            body = st.frac(numer, self.juxtaposed(den_parts), MUL, POST if single else MUL)
        if coef < 0:
            return st.row(st.minus, body), NEG
        return body, (ATOM if len(num_parts) == 1 and not den_parts and not powers else MUL)

    def juxtaposed(self, parts: list[str]) -> str:
        return self.st.row(*[x if i == 0 else self.st.cdot + x for i, x in enumerate(parts)])

    def _atomic_part(self, powers) -> bool:
        """Whether the one factor of a denominator prints as an atom (x, x², √u)."""
        for key, (base, e) in powers.items():
            if e < 0:
                return key[0] == "dim" or abs(e) != 1 or self.memo[id(base)][1] >= POST
        return False

    def power(self, key, base, e: Fraction) -> str:
        """``base^e`` for a collected factor: a dim (``n²``), ``√u``, ``x³``, ``u^(3/2)``."""
        st = self.st
        if key[0] == "dim":
            text = st.sym(key[1])
        elif e == Fraction(1, 2):
            return st.sqrt(self.memo[id(base)][0])
        else:
            text = self.operand(base, MUL + 1) if e == 1 else self.operand(base, POST + 1)
        if e == 1:
            return text
        exponent = str(e.numerator) if e.denominator == 1 else f"{e.numerator}/{e.denominator}"
        return st.sup(text, exponent)

    def slots(self, index, dims, part) -> list[str]:
        """An index in the language's notation, counted from 1: ``2``, ``1:2``, ``:``,
        the first/last k entries ``1:k`` / ``n−k+1:n`` of a dim sized at run time."""
        st, out = self.st, []
        sized = iter(part)  # the slice's own shape: one entry per axis that is not an "at"
        index = tuple(index) + (("all",),) * (len(dims) - len(index))  # trailing axes kept whole
        for spec, dim in zip(index, dims):
            kind = spec[0]
            if kind == "at":
                out.append(str(spec[1] + 1))
                continue
            k = next(sized)
            if kind == "range":
                out.append(f"{spec[1] + 1}:{spec[2]}")
            elif kind == "all":
                out.append(":")
            elif isinstance(k, int) and isinstance(dim, int):
                first = 1 if kind == "head" else dim - k + 1
                out.append(f"{first}:{first + k - 1}")
            else:
                size = st.sym(k) if isinstance(k, str) else str(k)
                full = st.sym(dim) if isinstance(dim, str) else str(dim)
                if kind == "head":
                    out.append(f"1:{size}")
                elif isinstance(dim, str) and isinstance(k, str) and dim.endswith(f"+{k}"):
                    out.append(f"{st.sym(dim[:-len(k) - 1])}+1:{full}")  # the tail of [x; y]: n+1:n+m
                else:
                    out.append(f"{full}{st.minus}{size}+1:{full}")
        return out

    def indexed(self, base: str, slots: list[str]) -> str:
        st = self.st
        if isinstance(st, MathML):
            return st.row(base, "<mo>[</mo>", "<mo>,</mo>".join(f"<mtext>{s}</mtext>" for s in slots), "<mo>]</mo>")
        if st is STYLES["latex"]:
            return rf"{base}\left[{', '.join(slots)}\right]"
        return f"{base}[{', '.join(slots)}]"

    def put(self, n: Node) -> tuple[str, int]:
        """A slice placed into zeros, as products with columns of the identity (the
        language's own spelling, docs/language.md): ``I[:, 2] g``, ``I[:, 1:2] G I[:, 3]ᵀ``;
        a block of a tensor (a Jacobian's) as ``put(G, [2, :])``."""
        st, (g,) = self.st, n.args
        full = n.shape
        index = tuple(n.attr("index")) + (("all",),) * (len(full) - len(n.attr("index")))
        slots = self.slots(index, full, g.shape)
        if len(full) > 2:
            return st.func("put", f"{self.memo[id(g)][0]}, {self.indexed('', slots)}"), ATOM
        selectors = [None if s == ":" else self.indexed(st.eye(), [":", s]) for s in slots]
        body = self.later_factor(g)  # I[:, 3] −2 w would read as a difference
        if g.op == "eye" or g.op == "const" and g.attr("value") == 1:  # I[:, 2] 1 is I[:, 2]
            if len(full) == 1 or selectors[1] is None:
                return selectors[0], ATOM  # postfix: I[:, 2]ᵀ
        if len(full) == 1:
            return st.row(selectors[0], st.cdot, body), MUL
        left, right = selectors
        if index[0][0] == "at" or index[1][0] == "at":  # g is a row or a column: an outer product
            row = index[0][0] == "at"
            g_text = st.sup(self.operand(g, POST + 1), "T") if row else body
            parts = [left, g_text] if row else [left, body]
            if row and right:
                parts = [left, st.sup(st.paren(st.row(right, st.cdot, body)), "T")]
            if not row:
                parts = [x for x in (left, body) if x] + ([st.sup(right, "T")] if right else [])
            return st.row(*[x if i == 0 else st.cdot + x for i, x in enumerate(p for p in parts if p)]), MUL
        parts = [x for x in (left, body) if x] + ([st.sup(right, "T")] if right else [])
        return st.row(*[x if i == 0 else st.cdot + x for i, x in enumerate(parts)]), MUL

    def adj_derivative(self, n: Node) -> tuple[str, int]:
        """The differential of the adjugate, ``d adj(A)[T]`` (docs/symbolic.md);
        along every direction at once (``T`` the identity tensor) it is the
        tensor ``∂adj(A)/∂A``. Its internal name ``dadj(A, T)`` read as a function."""
        st, (a, t) = self.st, n.args
        arg = self.memo[id(a)][0]
        latex = st is STYLES["latex"]
        adj = st.func(r"\operatorname{adj}" if latex else "adj", arg)
        mathml = isinstance(st, MathML)
        if t.op == "einsum" and t.attr("spec") == "ac,bd->abcd" and all(x.op == "eye" for x in t.args):
            if latex:
                return rf"\frac{{\partial {adj}}}{{\partial {arg}}}", MUL
            partial = "<mo>∂</mo>" if mathml else "∂"
            return st.frac(st.row(partial, adj), st.row(partial, arg), ATOM, ATOM), MUL
        tangent = self.memo[id(t)][0]
        if latex:
            return rf"\mathrm{{d}} {adj}\left[{tangent}\right]", ADD
        if mathml:
            return st.row("<mi>d</mi>", adj, "<mo>[</mo>", tangent, "<mo>]</mo>"), ADD
        return f"d {adj}[{tangent}]", ADD

    def entry_count(self, shape) -> str:
        """The number of entries of ``shape``: ``n m``, a repeated dim as a power (``n²``)."""
        st, powers, number = self.st, {}, 1
        for d in shape:
            if isinstance(d, str):
                powers[d] = powers.get(d, 0) + 1
            else:  # 3 4 would read 34: the sizes written in are multiplied out
                number *= d
        parts = [st.sup(st.sym(d), str(k)) if k > 1 else st.sym(d) for d, k in powers.items()]
        return self.juxtaposed(([st.num(number)] if number != 1 or not parts else []) + parts)

    def with_number(self, n: Node) -> str:
        """``sum(X, 2)``, ``softmax(x)``, ``tril(X, -1)``: the language's own spelling
        (axes counted from 1, a triangle's offset only when not 0)."""
        name = n.op.replace("_axis", "")
        arg = self.memo[id(n.args[0])][0]
        if n.op in ("tril", "triu"):
            number = n.attr("k")
            extra = "" if number == 0 else f", {number}"
        else:
            extra = "" if n.args[0].ndim == 1 else f", {n.attr('axis') + 1}"
        if self.st is STYLES["latex"]:
            name = rf"\operatorname{{{name}}}"
        return self.st.func(name, arg + extra)

    def einsum(self, n: Node) -> str:
        st = self.st
        ins, out = parse_spec(n.attr("spec"))
        depth = self.depth.get(id(n), 0)
        names = dict(zip(out, index_names(len(out), self.taken, depth)))
        hidden_chars = [c for c in dict.fromkeys("".join(ins)) if c not in names]
        summed = _fresh("p", "pqrsuvw", len(hidden_chars), self.taken | set(names.values()), depth)
        names.update(zip(hidden_chars, summed))
        factors = []
        for arg, spec in zip(n.args, ins):
            s, q = self.memo[id(arg)]
            if arg.op == "eye":
                factors.append(st.index(r"\delta" if st is STYLES["latex"] else "δ", [names[c] for c in spec]))
            elif not spec:
                factors.append(s if q >= MUL else st.paren(s))
            else:
                factors.append(st.index(s if q >= ATOM else st.paren(s), [names[c] for c in spec]))
        body = st.row(*[x if i == 0 else st.cdot + x for i, x in enumerate(factors)])
        hidden = [names[c] for c in dict.fromkeys("".join(ins)) if c not in out]
        return st.sigma(hidden, body) if hidden else body


def _einsum_depths(root: Node, order: list[Node]) -> dict[int, int]:
    """How many index blocks (einsums) enclose each node of ``root`` (``order``:
    its nodes): a block inside another gets a depth above every block around it,
    hence names of its own."""
    depth = {id(root): 0}
    for m in reversed(order):
        inner = depth.get(id(m), 0) + (m.op == "einsum")
        for a in m.args:
            depth[id(a)] = max(depth.get(id(a), 0), inner)
    return depth


def math_block(rows: list[tuple[str, str]]) -> str:
    """``<math>`` with one aligned row per ``(lhs, rhs)`` MathML fragment pair."""
    body = "".join(f"<mtr><mtd>{l}</mtd><mtd><mo>=</mo></mtd><mtd>{r}</mtd></mtr>" for l, r in rows)
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML" display="block"><mtable>{body}</mtable></math>'


def _is_number(text: str) -> bool:
    return text.replace(".", "", 1).isdigit()


class _Monomial:
    """A scalar product taken apart: a number times factors with rational exponents.

    Integer powers distribute over products (``(a b)⁻¹ = a⁻¹ b⁻¹``); a square root
    keeps its argument whole (``√(a b)`` is not ``√a √b`` for negative a, b), so it
    is one factor ``u^(1/2)``. Entry counts ``sum(𝟏)`` are powers of their dims.
    """

    def __init__(self, bound: dict):
        self.bound = bound
        self.coef = 1.0
        self.powers: dict[tuple, list] = {}
        self.changed = False

    def collect(self, n: Node):
        """``(coefficient, {key: (base, exponent)})``, or ``(None, None)`` when
        printing it as one fraction would change nothing."""
        self.roots = {id(m.args[0]) for m in topological(n) if m.op == "sqrt" and m.shape == ()}
        pieces = self.walk(n, Fraction(1), top=True)
        _absorb(self.powers)
        merged = {k: (b, e) for k, (b, e) in self.powers.items() if e != 0}
        if not self.changed and pieces < 3 and len(merged) == len(self.powers):
            return None, None
        return self.coef, merged

    def walk(self, n: Node, e: Fraction, top: bool = False) -> int:
        """Adds ``n^e``; returns how many factors it contributed (numbers, counts, atoms)."""
        op, a = n.op, n.args
        if id(n) in self.bound and not top or id(n) in self.roots:
            return self.add(("node", id(n)), n, e)
        if op == "const":
            v = n.attr("value")
            if v == 0 and e < 0:
                return self.add(("node", id(n)), n, e)
            self.coef *= v ** float(e)
            return 1
        if op == "neg" and n.shape == ():
            self.coef *= (-1) ** int(e) if e.denominator == 1 else float("nan")
            return self.walk(a[0], e)
        if op == "mul" and n.shape == () and all(x.shape == () for x in a):
            return self.walk(a[0], e) + self.walk(a[1], e)
        if op == "div" and n.shape == () and all(x.shape == () for x in a):
            return self.walk(a[0], e) + self.walk(a[1], -e)
        if op == "pow" and n.shape == () and a[1].op == "const" and e.denominator == 1:
            k = Fraction(a[1].attr("value")).limit_denominator(12)
            if float(k) == a[1].attr("value") and (k.denominator == 1 or a[0].op not in ("mul", "div", "neg")):
                if k.denominator == 1:
                    self.changed = self.changed or a[0].op in ("mul", "div", "sum")
                    return self.walk(a[0], e * k)
                return self.add(("node", id(a[0])), a[0], e * k)
        if op == "sqrt" and n.shape == () and id(a[0]) not in self.bound:
            return self.add(("node", id(a[0])), a[0], e / 2)
        if op == "tr" and a[0].op == "eye" and e.denominator == 1:  # tr(I) is n
            if isinstance(a[0].shape[0], str):
                return self.add(("dim", a[0].shape[0]), None, e) + 1
            self.coef *= float(a[0].shape[0]) ** float(e)
            self.changed = True
            return 1
        if op == "sum" and a[0].op == "ones" and e.denominator == 1:
            count = 0
            for d in a[0].shape:
                if isinstance(d, str):
                    count += self.add(("dim", d), None, e)
                else:
                    self.coef *= float(d) ** float(e)
                    self.changed = True
            return count + 1
        return self.add(("node", id(n)), n, e)

    def add(self, key, base, e: Fraction) -> int:
        if key in self.powers:
            self.changed = True
            self.powers[key][1] += e
        else:
            self.powers[key] = [base, e]
        return 1


def _absorb(powers: dict) -> None:
    """``a b (a b)^(−3/2)`` reads ``(a b)^(−1/2)``: a product under a square root
    takes back its own factors when each is there to the power 1 or more, the
    other way round (``a⁻¹ b⁻¹ (a b)^(1/2)`` likewise)."""
    for key, (base, e) in list(powers.items()):
        if key[0] != "node" or e.denominator == 1 or base.op != "mul":
            continue
        keys = [("node", id(f)) for f in base.args]
        if len(set(keys)) != len(keys):
            continue
        sign = 1 if e < 0 else -1
        while abs(e) >= 1 and all(k in powers and powers[k][1] * sign >= 1 for k in keys):
            for k in keys:
                powers[k][1] -= sign
            e += sign
        powers[key][1] = e
