"""The optional framework engines (autograd, jax, jax-jit, torch) and the
hand-written ``closed-form`` baseline.

Op-map completeness and "unavailable" behaviour run everywhere (no
framework needed); agreement with tape and fd runs for each framework that
is installed here.
"""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from diffbench.catalogue import CATALOGUE, default_size
from diffbench.engines import get_engine, load_all
from diffbench.engines.base import Unsupported
from diffbench.engines.closed_form import FORMULAS
from diffbench.engines.frameworks import autograd_engine, common, jax_engine, torch_engine
from diffbench.ops import TABLE
from diffbench.testing import check_agree

# torch.func imports torch.jit.script, which warns on import in torch 2.13
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")

FRAMEWORKS = {"autograd": "autograd", "jax": "jax", "jax-jit": "jax", "torch": "torch"}


class Anything:
    """A stand-in namespace: every attribute and every call is itself, so an
    op map can be built (keys and all) without its framework installed."""

    def __getattr__(self, name):
        return self

    def __call__(self, *args, **kwargs):
        return self


STATIC_OP_MAPS = {
    "autograd": lambda: autograd_engine.op_map(Anything(), Anything()),
    "jax": lambda: jax_engine.op_map(Anything(), Anything()),
    "torch": lambda: torch_engine.op_map(Anything()),
}


def engine_or_skip(name: str):
    pytest.importorskip(FRAMEWORKS[name])
    engine = get_engine(name)
    ok, why = engine.available()
    if not ok:
        pytest.skip(why)
    return engine


# ---------------------------------------------------------------- op maps

@pytest.mark.parametrize("framework", sorted(STATIC_OP_MAPS))
def test_op_map_covers_every_primitive_of_the_table(framework):
    op_map = STATIC_OP_MAPS[framework]()
    assert common.missing_ops(op_map) == [], f"{framework} op map lacks a primitive"
    assert set(op_map) <= set(TABLE), f"{framework} maps names that are not primitives"


@pytest.mark.parametrize("name", sorted(FRAMEWORKS))
def test_installed_op_map_is_complete(name):
    engine = engine_or_skip(name)
    assert common.missing_ops(engine.op_map(engine.lib())) == []


def test_missing_ops_names_a_new_primitive():
    op_map = STATIC_OP_MAPS["jax"]()
    del op_map["logdet"]
    assert common.missing_ops(op_map) == ["logdet"]


def test_a_primitive_without_mapping_is_unsupported_not_a_crash():
    fn = CATALOGUE["log_determinant"].function
    op_map = {k: v for k, v in STATIC_OP_MAPS["autograd"]().items() if k != "logdet"}
    with pytest.raises(Unsupported, match="logdet"):
        common.build(fn, ["X"], {"n": 3}, op_map)


def test_interpreter_runs_the_ir_with_numpy_functions():
    """The interpreter is generic: with NumPy's own impls it is the tape's value."""
    entry = CATALOGUE["logistic_regression"]
    op_map = {name: prim.impl for name, prim in TABLE.items() if name != "var"}
    sizes = entry.resolve_sizes({"n": 5})
    inputs = entry.sample({"n": 5})
    f = common.build(entry.function, ["w"], sizes, op_map)
    fixed = {k: v for k, v in inputs.items() if k != "w"}
    expected = get_engine("tape").prepare(entry.function, ["w"], sizes).value(inputs)
    assert f(inputs["w"], fixed) == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------- agreement

def _seed_entries():
    """The seed examples: the community problems' second derivatives through op-by-op
    frameworks take minutes (their engines are checked in tests/community and the benchmark)."""
    from diffbench.community.problems import NAMES

    return sorted(set(CATALOGUE) - set(NAMES))


@pytest.mark.parametrize("entry", _seed_entries())
@pytest.mark.parametrize("name", sorted(FRAMEWORKS))
def test_framework_agrees_with_tape_and_fd(name, entry):
    engine_or_skip(name)
    e = CATALOGUE[entry]
    inputs = e.sample(default_size(e), seed=1)
    check_agree(e.function, inputs, list(e.wrt), engines=("tape", "fd", name))


JACOBIAN_CASES = [
    ("sigmoid(W*x)", {"W": (4, 3), "x": (3,)}, ["W", "x"]),  # reverse: 4 outputs < 15 inputs
    ("A*x + 2", {"A": (7, 2), "x": (2,)}, ["x"]),  # forward: 2 inputs < 7 outputs
    ("inv(X)*exp(1)", {"X": (3, 3)}, ["X"]),  # matrix out, matrix in, a constant-only subterm
]


@pytest.mark.parametrize("expr,shapes,wrt", JACOBIAN_CASES, ids=[c[0] for c in JACOBIAN_CASES])
@pytest.mark.parametrize("name", sorted(FRAMEWORKS))
def test_framework_jacobians_agree(name, expr, shapes, wrt):
    engine_or_skip(name)
    rng = np.random.default_rng(3)
    inputs = {k: rng.normal(size=s) + (2 * np.eye(s[0]) if k == "X" else 0) for k, s in shapes.items()}
    check_agree(expr, inputs, wrt, engines=("tape", "fd", name))


@pytest.mark.parametrize("name", sorted(FRAMEWORKS))
def test_results_are_float64_numpy_with_the_engines_shapes(name):
    engine = engine_or_skip(name)
    e = CATALOGUE["linear_solve_loss"]
    sizes = e.resolve_sizes({"n": 3})
    inputs = e.sample({"n": 3})
    p = engine.prepare(e.function, ["A", "b"], sizes)
    assert isinstance(p.value(inputs), float)
    grads, hess = p.gradient(inputs), p.hessian(inputs)
    assert {k: v.shape for k, v in grads.items()} == {"A": (3, 3), "b": (3,)}
    assert hess[("A", "b")].shape == (3, 3, 3) and hess[("b", "A")].shape == (3, 3, 3)
    assert all(type(v) is np.ndarray and v.dtype == np.float64 for v in [*grads.values(), *hess.values()])
    native = common.native_inputs(p, inputs)  # converted once, as the benchmark does
    np.testing.assert_allclose(p.gradient(native)["A"], grads["A"], rtol=1e-12)


def test_jit_records_compile_time_once():
    engine = engine_or_skip("jax-jit")
    e = CATALOGUE["quadratic_form"]
    p = engine.prepare(e.function, ["x"], {"n": 4})
    inputs = e.sample({"n": 4})
    p.hessian(inputs)
    first = p.stats["compile_seconds"]["hessian"]
    p.hessian(inputs)
    assert p.stats["compile_seconds"] == {"hessian": first} and first > 0


# ---------------------------------------------------------------- closed form

@pytest.mark.parametrize("entry", sorted(FORMULAS))
def test_closed_form_agrees_with_tape_and_fd(entry):
    e = CATALOGUE[entry]
    inputs = e.sample(default_size(e), seed=2)
    check_agree(e.function, inputs, list(e.wrt), engines=("tape", "fd", "closed-form"))


def test_closed_form_refuses_what_it_has_no_formula_for():
    e = CATALOGUE["two_layer_net"]
    with pytest.raises(Unsupported, match="no hand-written formula"):
        get_engine("closed-form").prepare(e.function, list(e.wrt), e.resolve_sizes({"n": 3}))
    q = CATALOGUE["quadratic_form"]  # a catalogue expression, other variables
    with pytest.raises(Unsupported):
        get_engine("closed-form").prepare(q.function, ["b"], {"n": 3})


# ---------------------------------------------------------------- unavailable

BLOCKED = """
import importlib.abc, importlib.machinery, sys

BLOCK = {"autograd", "jax", "jaxlib", "torch"}
BROKEN = set(sys.argv[1:])  # found, but importing fails (a broken install)

class Broken(importlib.abc.Loader):
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        raise ImportError(f"{module.__name__} is broken here", name=module.__name__)

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if top in BROKEN:
            return importlib.machinery.ModuleSpec(name, Broken())
        if top in BLOCK:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
        return None

sys.meta_path.insert(0, Block())
for name in list(sys.modules):
    if name.split(".")[0] in BLOCK:
        del sys.modules[name]
"""

PROBE = """
import json, time
import diffbench
from diffbench.catalogue import CATALOGUE
from diffbench.engines import load_all
from diffbench.engines.base import Unsupported

out = {"available": {}, "prepare": {}}
engines = load_all()
e = CATALOGUE["quadratic_form"]
for name in ("autograd", "jax", "jax-jit", "torch"):
    try:
        engines[name].prepare(e.function, ["x"], {"n": 3})
        out["prepare"][name] = "prepared"
    except Unsupported as err:
        out["prepare"][name] = str(err)
    out["available"][name] = engines[name].available()

# the job path: validation accepts the engine, its cells come back "unsupported"
from diffbench.jobs.harness import run_measured
from diffbench.jobs.plan import plan
from diffbench.jobs.checks import load_job
job, _ = load_job(JOB)
task = next(t for t in plan(job) if t["engine"] == "torch")
fields, _ = run_measured(task, time.perf_counter() + 60)
out["job"] = [fields["status"], fields["message"]]

from click.testing import CliRunner
from diffbench.cli.engines import command
out["cli"] = CliRunner().invoke(command, []).output
print(json.dumps(out))
"""


def run_blocked(tmp_path, broken=()):
    from pathlib import Path

    job = Path(__file__).resolve().parents[1] / "jobs" / "bench.toml"
    script = tmp_path / "probe.py"
    script.write_text(BLOCKED + f"\nJOB = {str(job)!r}\n" + PROBE)
    proc = subprocess.run([sys.executable, str(script), *broken], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_missing_frameworks_are_unavailable_never_an_import_error(tmp_path):
    out = run_blocked(tmp_path)
    for name, (ok, why) in out["available"].items():
        extra = ".[torch]" if name == "torch" else ".[compare]"  # the extra that really brings it
        assert not ok and "not installed" in why and extra in why, (name, why)
        assert "not available here" in out["prepare"][name]
    assert out["job"][0] == "unsupported" and "not available" in out["job"][1]
    for name in ("autograd", "jax", "jax-jit", "torch"):
        line = next(l for l in out["cli"].splitlines() if l.startswith(name + " "))
        assert "unavailable" in line, line
    assert "tape" in out["cli"] and "available" in out["cli"]


def test_a_broken_install_is_unavailable_with_its_reason(tmp_path):
    out = run_blocked(tmp_path, broken=("jax", "jaxlib"))
    assert "jax is broken here" in out["prepare"]["jax"]
    ok, why = out["available"]["jax"]
    assert not ok and "cannot be imported" in why


def test_engines_register_without_importing_a_framework():
    code = ("import sys, diffbench.engines as e; e.load_all(); "
            "print(sorted(m for m in ('jax', 'torch', 'autograd') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
    assert {"autograd", "jax", "jax-jit", "torch", "closed-form"} <= set(load_all())
