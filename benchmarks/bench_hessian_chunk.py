"""The tape Hessian's directions per sweep: counted live (now) against every active value (before).

    python benchmarks/bench_hessian_chunk.py [--rounds 3] [--only NAME,...] [--try CHUNK,...]

``diffbench.tape.operators.hessian_chunk`` sizes a forward-over-reverse
sweep's batch of directions from the tangent entries one direction costs.
Before, that was every value that depends on the variables (twice: forward
and backward); now it is the most the sweep holds at once, walked over the
tape's own release plan (``live_tangent_entries``).  For every catalogue
function with a Hessian, at ``bench_memory.py``'s sizes, this prints both
estimates beside the per-direction cost measured (the slope of the peak
between two chunk sizes), and where the two estimates give different chunks,
runs the Hessian at each, side by side in one process: peak memory over the
Hessian's bytes plus the inputs' (target <= 3x, as ``bench_memory.py``) and
CPU seconds (best of ``--rounds``, the two interleaved).  ``--try`` runs
the listed chunk sizes side by side as well (what a larger batch would cost
in memory, and save in time).
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402,F401  (one BLAS thread, before NumPy loads)

import argparse  # noqa: E402
import time  # noqa: E402

TARGET = 3.0


def every_active(prog) -> int:
    """The estimate before: tangent entries of every active value, forward and backward."""
    from diffbench.canonical import canonical_root
    from diffbench.ir import size_of, topological

    nodes = topological(canonical_root(prog.fn))
    return 2 * sum(size_of(n.shape, prog.sizes) for n, on in zip(nodes, prog.active) if on)


def chunk_for(prog, per_direction_entries: int) -> int:
    """``hessian_chunk``'s budget rule, given a per-direction count."""
    from diffbench.ir import size_of
    from diffbench.tape.operators import MIN_CHUNK_BYTES

    total = sum(size_of(prog.fn.shapes[name], prog.sizes) for name in prog.wrt)
    floor = 8 * total * total + 8 * sum(size_of(shape, prog.sizes) for shape in prog.fn.shapes.values())
    budget = max(floor // 2, MIN_CHUNK_BYTES)
    return max(1, min(total, budget // max(8 * per_direction_entries, 1)))


def measured_per_direction(prog, inputs: dict, total: int) -> float | None:
    """Tangent entries one more direction adds to the peak, between two chunk sizes."""
    from diffbench.allocation import peak_allocated
    from diffbench.tape import operators as ops

    low, high = max(1, total // 8), max(2, total // 4)
    if high <= low:
        return None
    peaks = []
    for chunk in (low, high):
        prog.hessian_chunk = chunk
        peaks.append(peak_allocated(lambda i: ops.hessian(prog, i), inputs)[1])
    del prog.hessian_chunk
    return (peaks[1] - peaks[0]) / (high - low) / 8


def side_by_side(prog, inputs: dict, chunks: dict, rounds: int) -> dict:
    """``{label: (peak ratio, best CPU seconds)}`` for each chunk, interleaved."""
    from diffbench.allocation import nbytes, peak_allocated
    from diffbench.tape import operators as ops

    out, best = {}, dict.fromkeys(chunks, float("inf"))
    for label, chunk in chunks.items():
        prog.hessian_chunk = chunk
        hessian, peak = peak_allocated(lambda i: ops.hessian(prog, i), inputs)
        out[label] = peak / (nbytes(hessian) + nbytes(inputs))
    for _ in range(rounds):
        for label, chunk in chunks.items():
            prog.hessian_chunk = chunk
            start = time.process_time()
            ops.hessian(prog, inputs)
            best[label] = min(best[label], time.process_time() - start)
    return {label: (out[label], best[label]) for label in chunks}


def main() -> None:
    from bench_memory import sizes_for
    from diffbench.catalogue import ENTRIES
    from diffbench.tape import operators as ops
    from diffbench.tape.core import Program

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", help="comma-separated catalogue names")
    parser.add_argument("--try", dest="chunks", help="comma-separated chunk sizes to run side by side too")
    args = parser.parse_args()
    tried = [int(c) for c in args.chunks.split(",")] if args.chunks else []
    only = set(args.only.split(",")) if args.only else None
    print(f"{'function':22} {'sizes':22} {'dirs':>5} {'before/dir':>10} {'live/dir':>9} {'measured':>9} "
          f"{'chunk before -> now':>19}  peak before / now (<= {TARGET:g}x)   CPU s before / now")
    for entry in ENTRIES:
        if not entry.function.is_scalar or (only and entry.name not in only):
            continue
        sizes = sizes_for(entry)
        fn = entry.function_at(sizes) if entry.expand is not None else entry.function
        prog = Program(fn, list(entry.wrt), entry.resolve_sizes(sizes))
        inputs = entry.sample(sizes, seed=0)
        total = sum(int(inputs[w].size) if hasattr(inputs[w], "size") else 1 for w in entry.wrt)
        before, live = every_active(prog), ops.live_tangent_entries(prog)
        chunks = {"before": chunk_for(prog, before), "now": ops.hessian_chunk(prog)}
        slope = measured_per_direction(prog, inputs, total)
        label = ",".join(f"{k}={v}" for k, v in sizes.items()) or "-"
        line = (f"{entry.name:22} {label:22} {total:5d} {before:10d} {live:9d} "
                f"{'-' if slope is None else f'{slope:.0f}':>9} {chunks['before']:>9} -> {chunks['now']:<7}")
        if tried:
            found = side_by_side(prog, inputs, {c: c for c in tried}, args.rounds)
            print(line + "  " + "   ".join(f"chunk {c}: {r:.2f}x {t:.3f} s" for c, (r, t) in found.items()),
                  flush=True)
            continue
        if chunks["before"] == chunks["now"]:
            print(line + "  (same chunk)", flush=True)
            continue
        found = side_by_side(prog, inputs, chunks, args.rounds)
        (pb, tb), (pn, tn) = found["before"], found["now"]
        verdict = "ok" if pn <= TARGET else "MISSED"
        print(line + f"  {pb:5.2f}x / {pn:5.2f}x {verdict:6}          {tb:7.3f} / {tn:7.3f} ({tn / tb:.2f}x)",
              flush=True)


if __name__ == "__main__":
    main()
