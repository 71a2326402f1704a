#!/usr/bin/env python3
"""Time NumPy and ndarray-gradient on the same cases in one run, and print a ratio table.

    pip install -r scripts/requirements.txt
    python3 scripts/bench_vs_numpy.py [--quick] [--markdown FILE] [CASE_PREFIX ...]

The Rust side is `examples/bench_cases.rs` (built here with `--release --features rayon`);
it prints one JSON line per case. Both sides time the median of repeated calls after a
warm-up, on the same array (same shape, memory order and values). Allocating cases include
the allocation, as NumPy's do. "floor" is a plain copy of the same array measured in the
same run (`f.copy(order="K")` in NumPy, `f.to_owned()` in Rust); `_into` cases are compared
with `out.assign(&f)` (`np.copyto`). Calls shorter than 50 us are timed in batches (a sample
is the mean of a batch) on both sides.

At the end the script checks the targets of the performance issue and prints PASS/MISS per
row; it never fails because of a miss (timing is not a test).
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def field(shape, fortran):
    """The same values as `field()` in examples/bench_cases.rs (k = 1, 2, ... in C order)."""
    k = np.arange(1, int(np.prod(shape)) + 1, dtype=np.float64)
    f = (np.sin(k * 0.001) + 0.5 * np.cos(k * 0.37)).reshape(shape)
    return np.asfortranarray(f) if fortran else f


def coords(n):
    i = np.arange(n, dtype=np.float64)
    return i + 0.25 * np.sin(i * 0.7)


def timeit(fn, budget, min_reps=5):
    """Median time of one call; calls under 50 us are timed in batches, as on the Rust side."""
    fn()
    t = time.perf_counter()
    fn()
    batch = min(10000, max(1, int(50e-6 / max(time.perf_counter() - t, 1e-9))))
    samples = []
    start = time.perf_counter()
    while len(samples) < min_reps or (time.perf_counter() - start < budget and len(samples) < 10000):
        t = time.perf_counter()
        for _ in range(batch):
            fn()
        samples.append((time.perf_counter() - t) / batch)
    return statistics.median(samples)


def numpy_callable(case, cache):
    """The NumPy call that a Rust case name stands for."""
    parts = case.split("/")
    kind = parts[0]

    def array(name, order):
        key = (name, order)
        if key not in cache:
            shape = tuple(int(s) for s in name.split("x"))
            cache[key] = field(shape, order == "F")
        return cache[key]

    if kind in ("gradient", "copy") and len(parts) in (2, 3) and parts[1] in ("1000", "32x32"):
        f = array(parts[1], "C")
        return (lambda: f.copy()) if kind == "copy" else (lambda: np.gradient(f))
    name, order = parts[1], parts[2] if len(parts) > 2 else "C"
    if kind == "copy":
        f = array(name, order)
        return lambda: f.copy(order="K")
    if kind == "assign":
        f = array(name, order)
        out = np.empty_like(f)
        return lambda: np.copyto(out, f)
    if kind == "gradient":
        f = array(name, order)
        return lambda: np.gradient(f)
    axis = int(parts[3].removeprefix("axis")) if len(parts) > 3 and parts[3].startswith("axis") else None
    if kind in ("gradient_axis", "gradient_axis_dyn", "gradient_axis_into"):
        f = array(name, order)
        return lambda: np.gradient(f, axis=axis)
    if kind == "coordinates":
        f = array(name, order)
        x = coords(f.shape[axis])
        return lambda: np.gradient(f, x, axis=axis)
    if kind == "edge2":
        f = array(name, order)
        return lambda: np.gradient(f, axis=axis, edge_order=2)
    if kind in ("diff1", "diff3"):
        f = array(name, order)
        n = int(kind[-1])
        return lambda: np.diff(f, n=n, axis=axis)
    if kind == "f32":
        f = array(name, "C").astype(np.float32)
        return lambda: np.gradient(f, axis=axis)
    if kind == "complex128":
        g = array(name, "C")
        f = g - 1j * g
        return lambda: np.gradient(f, axis=axis)
    raise ValueError(f"no NumPy equivalent for {case}")


def run_rust(args):
    cmd = ["cargo", "run", "--quiet", "--release", "--features", "rayon", "--example", "bench_cases", "--"]
    cmd += (["--quick"] if args.quick else []) + args.prefixes
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    peak_cmd = cmd[: cmd.index("--") + 1] + ["--peak-memory"]
    peak = subprocess.run(peak_cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    parse = lambda text: [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    return parse(out), parse(peak)


def floor_key(case):
    """The copy case that is the floor of `case`: same array, plain copy."""
    parts = case.split("/")
    if parts[1] in ("1000", "32x32"):
        return f"copy/{parts[1]}"
    if parts[0] == "gradient_axis_into":
        return f"assign/{parts[1]}/{parts[2]}"
    if parts[0] in ("f32", "complex128"):
        return f"copy/{parts[1]}/C"
    return f"copy/{parts[1]}/{parts[2]}"


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; NumPy {np.__version__}, Python {platform.python_version()}, {rustc}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter time budget per case")
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("prefixes", nargs="*", help="only cases whose name starts with one of these")
    args = parser.parse_args()

    timed, peaks = run_rust(args)
    rust = {r["case"]: r for r in timed}
    budget = 0.15 if args.quick else 0.6
    cache, numpy_times = {}, {}
    for case in rust:
        key = case.removesuffix("/serial").removesuffix("/parallel")
        if key not in numpy_times:
            numpy_times[key] = timeit(numpy_callable(case, cache), budget)

    rows = []
    header = "| case | elements | NumPy ms | Rust ms | NumPy / Rust | Rust / floor | NumPy / floor(NumPy) |"
    rows.append(header)
    rows.append("|---|---:|---:|---:|---:|---:|---:|")
    for case, r in rust.items():
        key = case.removesuffix("/serial").removesuffix("/parallel")
        np_t, rs_t = numpy_times[key], r["median_s"]
        floor = rust.get(floor_key(case))
        np_floor = numpy_times.get(floor_key(case))
        rows.append(
            f"| {case} | {r['elements']} | {np_t * 1e3:.4g} | {rs_t * 1e3:.4g} | {np_t / rs_t:.2f} | "
            + (f"{rs_t / floor['median_s']:.2f}" if floor and not case.startswith(("copy", "assign")) else "")
            + " | "
            + (f"{np_t / np_floor:.2f}" if np_floor and not case.startswith(("copy", "assign")) else "")
            + " |"
        )
    table = "\n".join(rows)
    targets = check_targets(rust, numpy_times, peaks)
    text = f"Machine: {machine()}\n\n{table}\n\n{targets}\n"
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text)


def check_targets(rust, numpy_times, peaks):
    """PASS/MISS for each target row of the performance issue."""
    lines = ["| target | worst measured | verdict |", "|---|---|---|"]

    def t(case):
        return rust[case]["median_s"] if case in rust else None

    def speedup(case):
        key = case.removesuffix("/serial").removesuffix("/parallel")
        return numpy_times[key] / t(case) if case in rust else None

    def row(label, values, ok, fmt):
        values = [(c, v) for c, v in values if v is not None]
        if not values:
            lines.append(f"| {label} | not measured | - |")
            return
        worst = min(values, key=lambda cv: cv[1]) if ok(1e9) else max(values, key=lambda cv: cv[1])
        verdict = "PASS" if all(ok(v) for _, v in values) else "MISS"
        lines.append(f"| {label} | {fmt(worst[1])} ({worst[0]}) | {verdict} |")

    big = ["4096x4096", "256x256x256"]
    axes = {"4096x4096": 2, "256x256x256": 3}
    row("1000 and 32x32 gradient >= 20x NumPy",
        [(c, speedup(c)) for c in ("gradient/1000/serial", "gradient/32x32/serial")], lambda v: v >= 20, "{:.1f}x".format)
    row("gradient_axis 4096^2, 256^3 >= 2x NumPy",
        [(c, speedup(c)) for s in big for o in "CF" for a in range(axes[s]) for c in [f"gradient_axis/{s}/{o}/axis{a}/serial"]],
        lambda v: v >= 2, "{:.2f}x".format)
    row("coordinates, same shapes >= 4x NumPy",
        [(c, speedup(c)) for s in big for o in "CF" for a in range(axes[s]) for c in [f"coordinates/{s}/{o}/axis{a}/serial"]],
        lambda v: v >= 4, "{:.2f}x".format)
    row("gradient() 256^3 >= 3x NumPy", [(c, speedup(c)) for c in ["gradient/256x256x256/C/serial"]], lambda v: v >= 3, "{:.2f}x".format)
    row("diff(1) 4096^2, 256^3 >= 1.5x NumPy",
        [(c, speedup(c)) for s in big for o in "CF" for a in range(axes[s]) for c in [f"diff1/{s}/{o}/axis{a}/serial"]],
        lambda v: v >= 1.5, "{:.2f}x".format)
    row("_into <= 1.3x assign",
        [(c, t(c) / t(f"assign/{s}/{o}")) for s in big for o in "CF" for a in range(axes[s])
         for c in [f"gradient_axis_into/{s}/{o}/axis{a}/serial"] if t(c) and t(f"assign/{s}/{o}")],
        lambda v: v <= 1.3, "{:.2f}x assign".format)
    par = [(c, t(c.replace("/parallel", "/serial")) / t(c)) for c in rust
           if c.endswith("/parallel") and any(s in c for s in big) and c.split("/")[0] in ("gradient_axis", "gradient", "coordinates", "diff1")]
    row("rayon large >= 1.4x serial", par, lambda v: v >= 1.4, "{:.2f}x".format)
    small = [(c, t(c) / t(c.replace("/parallel", "/serial"))) for c in ("gradient/1000/parallel", "gradient/32x32/parallel") if c in rust]
    row("rayon 1000, 32x32 within 5% of serial", small, lambda v: v <= 1.05, "{:.3f}x serial time".format)
    layout = []
    for s in big:
        for a in range(axes[s]):
            c = t(f"gradient_axis/{s}/C/axis{a}/serial")
            for other in (f"gradient_axis/{s}/F/axis{a}/serial", f"gradient_axis_dyn/{s}/C/axis{a}/serial"):
                if c and t(other):
                    layout.append((other, t(other) / c))
    row("F-order and IxDyn within 1.25x of C static", layout, lambda v: v <= 1.25, "{:.2f}x".format)
    # Peak memory beyond the input, over the outputs' size: 1.00 means no temporaries at all.
    row("peak memory = input + outputs + O(lane)",
        [(p["case"], p["extra_bytes"] / p["output_bytes"]) for p in peaks], lambda v: v <= 1.01,
        "{:.4f}x the outputs".format)
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
