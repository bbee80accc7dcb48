"""Peak memory of a Hessian call against the Hessian's own bytes plus its inputs'.

    python benchmarks/bench_memory.py [--engines symbolic,tape] [--large]

For every catalogue function at a large size (the Hessian a few MB, so the
constant overhead of NumPy's ufunc buffers, about 128 KiB, does not decide
the ratio), one Hessian call is run under ``tracemalloc``
(:func:`diffbench.allocation.peak_allocated`: bytes allocated above what
existed before the call, so its temporaries and its output, not its inputs).
Targets: symbolic <= 1.5x and tape <= 3x of (Hessian bytes + input bytes).
Functions of scalars only (a Hessian of a few bytes) are listed, not judged.

``--large`` also runs the logistic regression Hessian at n = 5000 (m = 10,000;
the Hessian alone is 200 MB, X 400 MB) through symbolic and tape as jobs with
a 2 GiB per-task memory limit (real sandboxed children, resident memory
enforced), and prints their status and resident peak.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402,F401  (one BLAS thread, before NumPy loads)

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

TARGETS = {"symbolic": 1.5, "tape": 3.0}
#: sizes whose Hessian is a few MB: vector variables n = 1000, matrix variables n = 30
LARGE = {"n": 1000, "N": 300}
MATRIX_VARIABLE = {"n": 30}


def sizes_for(entry) -> dict:
    matrix = any("," in entry.shapes[w] for w in entry.wrt)
    if entry.name == "mds_stress":
        return {"N": LARGE["N"]}
    if entry.expand is not None:  # unrolled by size (LSTM, ODE): its largest listed size
        return {d: max(entry.default_sizes.get(d, [4])) for d in entry.size_dims}
    return {d: (MATRIX_VARIABLE if matrix else LARGE).get(d, 4) for d in entry.size_dims}


def run(engines: list[str]) -> list[tuple]:
    from diffbench.allocation import nbytes, peak_allocated
    from diffbench.catalogue import ENTRIES
    from diffbench.engines import get_engine

    verdicts = []
    print(f"{'function':22} {'sizes':12} {'engine':9} {'Hessian':>10} {'inputs':>10} {'peak':>10} "
          f"{'ratio':>6}  target  extra")
    for entry in ENTRIES:
        if not entry.function.is_scalar:  # a Jacobian, not a Hessian (bundle adjustment)
            continue
        sizes = sizes_for(entry)
        inputs = entry.sample(sizes, seed=0)
        resolved = entry.resolve_sizes(sizes)
        for engine in engines:
            prepared = get_engine(engine).prepare(entry.function, list(entry.wrt), resolved, 2)
            prepared.hessian(inputs)  # warm: caches and lazily built code are not the call's
            out, peak = peak_allocated(prepared.hessian, inputs)
            base = nbytes(out) + nbytes(inputs)
            ratio = peak / base
            judged = nbytes(out) >= 2**20
            ok = ratio <= TARGETS.get(engine, float("inf"))
            extra = ""
            if engine == "tape":
                extra = f"chunk {prepared.stats.get('hessian_chunk')}/{prepared.stats.get('hessian_directions')}"
            verdict = ("ok" if ok else "MISSED") if judged else "(not judged: Hessian < 1 MiB)"
            label = ",".join(f"{k}={v}" for k, v in sizes.items()) or "-"
            print(f"{entry.name:22} {label:12} {engine:9} {_mb(nbytes(out)):>10} {_mb(nbytes(inputs)):>10} "
                  f"{_mb(peak):>10} {ratio:5.2f}x  <= {TARGETS.get(engine, '-')}x  {verdict} {extra}", flush=True)
            if judged:
                verdicts.append((entry.name, engine, ratio, ok))
    return verdicts


def _mb(b: int) -> str:
    return f"{b / 2**20:.2f} MB" if b >= 2**16 else f"{b} B"


LARGE_JOB = """version = 1
name = "large-logistic-hessian"
engines = ["symbolic", "tape"]
quantities = ["hessian"]
repeat = 1
timeout = "900s"
memory = "2GiB"
reference = []

[[functions]]
catalogue = "logistic_regression"
sizes = {{ n = [{n}] }}
"""


def run_large(n: int) -> list[tuple]:
    """The n = 5000 logistic regression Hessian as a real job with a 2 GiB limit."""
    with tempfile.TemporaryDirectory() as tmp:
        job = os.path.join(tmp, "large.toml")
        with open(job, "w") as fh:
            fh.write(LARGE_JOB.format(n=n))
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "diffbench.cli.main", "submit", job, "--workers", "1",
                               "--json", "--db", os.path.join(tmp, "s.sqlite"), "--reports", tmp],
                              cwd=tmp, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if proc.returncode not in (0, 1):
            print(proc.stderr)
            return [("large", "submit", None, False)]
        summary = json.loads(proc.stdout)
        from diffbench.jobs.store import Store

        records = Store(os.path.join(tmp, "s.sqlite")).results(summary["run_id"])
    verdicts = []
    print(f"\nlogistic regression Hessian, n = {n}, m = {2 * n}, 2 GiB per task ({elapsed:.0f} s in all)")
    for r in records:
        stats = r.get("stats") or {}
        print(f"  {r['engine']:9} {r['status']:8} median {r.get('median') or 0:.2f} s  resident peak "
              f"{(r.get('peak_bytes') or 0) / 2**20:.0f} MiB  call peak {(stats.get('call_peak_bytes') or 0) / 2**20:.0f} MiB"
              f"  {stats.get('engine', {}).get('hessian_chunk', '')}  {r.get('message', '')}")
        verdicts.append(("large", r["engine"], None, r["status"] == "ok"))
    return verdicts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="symbolic,tape")
    parser.add_argument("--large", action="store_true", help="also the n = 5000 job under 2 GiB")
    parser.add_argument("--large-n", type=int, default=5000)
    args = parser.parse_args(argv)
    verdicts = run(args.engines.split(","))
    if args.large:
        verdicts += run_large(args.large_n)
    missed = [v for v in verdicts if not v[-1]]
    print(f"\n{len(verdicts)} judged, {len(missed)} missed")
    for name, engine, ratio, _ in missed:
        print(f"  MISSED {name} {engine}" + (f" {ratio:.2f}x" if ratio is not None else ""))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
