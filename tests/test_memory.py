"""Memory as a measured figure: peak bytes per call, and Hessians whose peak stays
a small multiple of the Hessian plus its inputs (the tape's in chunks of directions)."""
from __future__ import annotations

import numpy as np
import pytest

from diffbench.allocation import nbytes, peak_allocated
from diffbench.catalogue import get_entry
from diffbench.engines import get_engine
from diffbench.tape import operators


@pytest.fixture(autouse=True)
def fresh_programs():
    """Programs built here under a patched chunk size must not outlive the test."""
    from diffbench.catalogue import ENTRIES

    yield
    for entry in ENTRIES:
        entry.function.cache.clear()


def test_peak_allocated_counts_what_a_call_allocates_not_what_existed():
    existing = np.ones(100_000)
    _, peak = peak_allocated(lambda: existing.sum())
    assert peak < 200_000  # the input's 800 kB existed before the call
    _, peak = peak_allocated(lambda: np.ones(1_000_000))
    assert 8_000_000 <= peak < 8_400_000


@pytest.mark.parametrize("name", ["linear_solve_loss", "logistic_regression", "log_determinant"])
def test_a_hessian_in_chunks_of_directions_is_the_hessian(name, monkeypatch):
    entry = get_entry(name)
    sizes = {d: 4 for d in entry.size_dims}
    inputs = entry.sample(sizes, seed=0)
    resolved = entry.resolve_sizes(sizes)
    whole = get_engine("tape").prepare(entry.function, list(entry.wrt), resolved).hessian(inputs)
    monkeypatch.setattr(operators, "MIN_CHUNK_BYTES", 0)
    entry.function.cache.clear()  # a new Program: its chunk is worked out again
    prepared = get_engine("tape").prepare(entry.function, list(entry.wrt), resolved)
    assert prepared.stats["hessian_chunk"] < prepared.stats["hessian_directions"]
    chunked = prepared.hessian(inputs)
    assert chunked.keys() == whole.keys()
    for key in whole:
        np.testing.assert_allclose(chunked[key], whole[key], rtol=1e-12, atol=1e-14)
    assert prepared.evaluate(inputs)["hessian"].keys() == whole.keys()


@pytest.mark.parametrize("engine, target", [("symbolic", 1.5), ("tape", 3.0)])
@pytest.mark.parametrize("name", ["logistic_regression", "log_quadratic", "gaussian_bump"])
def test_hessian_peak_is_a_small_multiple_of_the_hessian_and_inputs(name, engine, target, monkeypatch):
    monkeypatch.setattr(operators, "MIN_CHUNK_BYTES", 0)  # at this size the tape would not chunk yet
    entry = get_entry(name)
    sizes = {"n": 250}
    inputs = entry.sample(sizes, seed=0)
    fn = entry.function
    fn.cache.clear()
    prepared = get_engine(engine).prepare(fn, list(entry.wrt), entry.resolve_sizes(sizes))
    prepared.hessian(inputs)
    out, peak = peak_allocated(prepared.hessian, inputs)
    assert peak <= target * (nbytes(out) + nbytes(inputs)) + 2**18  # + NumPy's ufunc buffers


def _mds(n_points: int, engine: str):
    entry = get_entry("mds_stress")
    sizes = {"N": n_points}
    inputs = entry.sample(sizes, seed=0)
    prepared = get_engine(engine).prepare(entry.function, list(entry.wrt), entry.resolve_sizes(sizes))
    return prepared, inputs


def test_generated_mds_hessian_allocates_no_more_than_its_output_and_inputs_allow():
    """N x N pairwise temporaries beside the Hessian: an identity, a diagonal that pins its
    matrix, a scaled copy where an in-place update would do, must not add up past 1.5x."""
    prepared, inputs = _mds(300, "symbolic")
    assert "np.eye(_n_N)" not in prepared.derivation.source  # I (x) B lands on a diagonal
    prepared.hessian(inputs)
    out, peak = peak_allocated(prepared.hessian, inputs)
    assert peak <= 1.5 * (nbytes(out) + nbytes(inputs)) + 2**16


def test_the_tape_keeps_only_what_its_reverse_sweep_reads():
    """mds_stress's forward pass makes seven N x N values; the reverse sweep reads one
    (the residual, for the squared norm's rule): the rest go after their last reader."""
    prepared, inputs = _mds(40, "tape")
    program = prepared.program
    kept = program.stats(program.forward(inputs))["tape_bytes"]
    assert kept <= nbytes(inputs) + 40 * 40 * 8 + 2**12
    everything = program.stats(program.forward(inputs, keep_all=True))["tape_bytes"]
    assert everything >= nbytes(inputs) + 5 * 40 * 40 * 8


def test_tape_mds_hessian_in_chunks_stays_within_three_times_its_output_and_inputs(monkeypatch):
    monkeypatch.setattr(operators, "MIN_CHUNK_BYTES", 0)
    prepared, inputs = _mds(120, "tape")
    symbolic = get_engine("symbolic").prepare(prepared.program.fn, ["W"], {"N": 120, "d": 2}).hessian(inputs)
    prepared.hessian(inputs)
    out, peak = peak_allocated(prepared.hessian, inputs)
    np.testing.assert_allclose(out[("W", "W")], symbolic[("W", "W")], rtol=1e-9, atol=1e-9)
    assert peak <= 3.0 * (nbytes(out) + nbytes(inputs)) + 2**16


def test_a_directions_cost_is_counted_from_what_the_sweep_holds_at_once():
    """mds_stress makes seven N x N values, but the tape frees most of them after
    their last reader: one more direction per sweep costs about four N x N
    tangents at the peak (measured), not one per value (counted before)."""
    from diffbench.canonical import canonical_root
    from diffbench.ir import size_of, topological

    prepared, inputs = _mds(60, "tape")
    program = prepared.program
    peaks = {}
    for chunk in (8, 16):
        program.hessian_chunk = chunk
        peaks[chunk] = peak_allocated(lambda i: operators.hessian(program, i), inputs)[1]
    measured = (peaks[16] - peaks[8]) / 8 / 8  # entries per direction
    counted = operators.live_tangent_entries(program)
    assert 0.8 * measured <= counted <= 1.25 * measured, (counted, measured)
    nodes = topological(canonical_root(program.fn))
    every_active = 2 * sum(size_of(n.shape, program.sizes) for n, on in zip(nodes, program.active) if on)
    assert counted < every_active / 3
