#!/usr/bin/env python3
"""Benchmark of the Zarr path (a benchmark script, not a test).

For each codec (none, zstd, blosc-lz4), writes a float64 Zarr v3 array of --size-gb gigabytes with
zarr-python, then times, each in its own process with its peak RSS:

  ours       the zarr_gradient example: np.gradient of every axis, chunk by chunk, 3 output arrays
  floor      the same example's --bench-floor: every chunk read once and written 3 times, same
             codec, no computation (what ours cannot beat)
  dask       dask.array.gradient on da.from_zarr of the same input, stored with da.store into 3
             zarr arrays of the same chunking and codec (threaded scheduler, same thread count)
  in-memory  the example's --bench-in-memory: the whole array read into RAM, then gradient_with
             timed alone (only where RAM allows: it needs 4x the array)

and prints a Markdown table. Deletes every file it wrote.

    cargo build --release --features zarr --example zarr_gradient
    python scripts/bench_zarr.py --size-gb 4 --threads 2 [--dir target/bench-zarr]

Needs scripts/requirements-zarr.txt (pip install dask zarr ...).
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DASK_RUN = r"""
import sys, time, os
threads = int(sys.argv[3])
import dask, dask.array as da, zarr
src = zarr.open_array(sys.argv[1], mode="r")
x = da.from_zarr(src)
grads = da.gradient(x)
group = zarr.open_group(sys.argv[2], mode="w")
outs = [group.create_array(f"axis{k}", shape=src.shape, chunks=src.chunks, dtype=src.dtype,
                           compressors=src.compressors, fill_value=0.0) for k in range(len(grads))]
t = time.perf_counter()
with dask.config.set(scheduler="threads", num_workers=threads):
    da.store(grads, outs, lock=False)
print("dask_seconds %.3f" % (time.perf_counter() - t))
"""


def run_rss(cmd):
    """Runs cmd under its own wait4 to get its peak RSS (MB) alone."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.read().decode()
    err = p.stderr.read().decode()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(f"FAILED {' '.join(cmd)}\n{out}\n{err}")
    return wall, usage.ru_maxrss / 1024, out


def du(path):
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(dirpath, f))
    return total


def codec_list(name):
    from zarr.codecs import BloscCodec, ZstdCodec
    return {
        "none": None,
        "zstd": [ZstdCodec(level=1)],
        "blosc": [BloscCodec(cname="lz4", clevel=5, shuffle="shuffle", typesize=8)],
    }[name]


def write_input(path, shape, chunks, codec):
    import zarr
    compressors = codec_list(codec)
    z = zarr.create_array(store=path, shape=shape, chunks=chunks, dtype="f8", compressors=compressors,
                          dimension_names=["z", "y", "x"])
    # A smooth field with noise at 1e-3 (so that codecs have something to compress), slab by slab.
    y = np.linspace(0, 6, shape[1])[:, None]
    x = np.linspace(0, 9, shape[2])[None, :]
    base = np.sin(y) * np.cos(x)
    rng = np.random.default_rng(0)
    for z0 in range(0, shape[0], chunks[0]):
        n = min(chunks[0], shape[0] - z0)
        slab = base[None] * np.cos(np.arange(z0, z0 + n) / 40.0)[:, None, None]
        slab = np.round(slab + rng.standard_normal(slab.shape) * 1e-3, 3)
        z[z0:z0 + n] = slab


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-gb", type=float, default=4.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dir", default=os.path.join(ROOT, "target", "bench-zarr"))
    ap.add_argument("--codecs", default="none,zstd,blosc")
    ap.add_argument("--bin", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "examples", "zarr_gradient"))
    ap.add_argument("--no-in-memory", action="store_true")
    ap.add_argument("--write-input", nargs=3, metavar=("PATH", "CODEC", "N"), help=argparse.SUPPRESS)
    ap.add_argument("--cap-mb", type=int, default=1024, help="address-space cap (prlimit --as) of the capped run")
    a = ap.parse_args()
    chunks = (64, 256, 256)
    if a.write_input:
        # In a process of its own, so that the parent (whose peak RSS the children inherit in
        # ru_maxrss) stays small.
        path, codec, n = a.write_input
        write_input(path, (int(n), 1024, 1024), chunks, codec)
        return
    import zarr

    # (n, 1024, 1024) float64 in chunks of 64 × 256 × 256 (32 MiB).
    plane = 1024 * 1024 * 8
    n = max(64, -(-int(a.size_gb * 1e9) // (plane * 64)) * 64)  # at least size_gb
    shape = (n, 1024, 1024)
    nbytes = n * plane
    os.makedirs(a.dir, exist_ok=True)
    free_ram = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    print(f"array {shape} float64 = {nbytes / 1e9:.2f} GB, chunks {chunks} ({np.prod(chunks) * 8 / 2**20:.0f} MiB), "
          f"threads {a.threads}, free RAM {free_ram / 1e9:.1f} GB; zarr {zarr.__version__}")
    import resource
    print(f"(the children's peak RSS includes at least this script's own, "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB, inherited through fork)")
    rows = []
    try:
        for name in a.codecs.split(","):
            src = os.path.join(a.dir, f"in-{name}.zarr")
            out = os.path.join(a.dir, f"out-{name}.zarr")
            shutil.rmtree(src, ignore_errors=True)
            t = time.perf_counter()
            subprocess.run([sys.executable, os.path.abspath(__file__), "--write-input", src, name, str(n)], check=True)
            disk = du(src)
            print(f"[{name}] wrote the input: {disk / 1e9:.2f} GB on disk in {time.perf_counter() - t:.0f} s", flush=True)
            threads = ["--threads", str(a.threads)]
            results = {}
            cap = ["prlimit", f"--as={a.cap_mb * 2**20}"] if shutil.which("prlimit") else None
            runs = [
                ("floor", [a.bin, src, out, "--overwrite", "--quiet", "--bench-floor", *threads]),
                ("ours", [a.bin, src, out, "--overwrite", "--quiet", *threads]),
                ("dask", [sys.executable, "-c", DASK_RUN, src, out, str(a.threads)]),
            ]
            if cap and name == "none":
                # The same run with its address space capped well below the array's size.
                runs.append(("ours-capped", [*cap, a.bin, src, out, "--overwrite", "--quiet", *threads]))
            for label, cmd in runs:
                shutil.rmtree(out, ignore_errors=True)
                subprocess.run(["sync"])
                try:
                    wall, rss, _ = run_rss(cmd)
                except SystemExit as e:
                    print(f"[{name}] {label}: failed: {str(e)[-300:]}", flush=True)
                    continue
                results[label] = (wall, rss, du(out))
                print(f"[{name}] {label}: {wall:.1f} s, {nbytes / wall / 1e9:.3f} GB/s, peak RSS {rss:.0f} MB, "
                      f"output {du(out) / 1e9:.2f} GB", flush=True)
                shutil.rmtree(out, ignore_errors=True)
            mem = None
            if not a.no_in_memory and free_ram > 4.5 * nbytes and name == "none":
                wall, rss, text = run_rss([a.bin, src, out, "--bench-in-memory", *threads])
                secs = float(text.split()[1])
                mem = (secs, rss)
                print(f"[{name}] in-memory gradient_with: {secs:.1f} s compute ({nbytes / secs / 1e9:.3f} GB/s), "
                      f"peak RSS {rss:.0f} MB", flush=True)
            rows.append((name, disk, results, mem))
            shutil.rmtree(src, ignore_errors=True)
    finally:
        shutil.rmtree(a.dir, ignore_errors=True)

    print()
    print(f"Array {shape} float64, {nbytes / 1e9:.2f} GB decoded, chunks {chunks}; gradient of all 3 axes "
          f"(3 output arrays, same chunking and codec); {a.threads} threads. GB/s = decoded input GB / wall s.")
    print()
    print("| codec | on disk | floor (read+write, no compute) | this crate | Dask `da.gradient` | ours / floor | Dask / ours | in-memory `gradient_with` (compute only) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, disk, r, mem in rows:
        def cell(label):
            if label not in r:
                return "failed"
            wall, rss, _ = r[label]
            return f"{wall:.1f} s, {nbytes / wall / 1e9:.2f} GB/s, RSS {rss:.0f} MB"
        m = f"{mem[0]:.1f} s, {nbytes / mem[0] / 1e9:.2f} GB/s, RSS {mem[1]:.0f} MB" if mem else "—"
        print(f"| {name} | {disk / 1e9:.2f} GB | {cell('floor')} | {cell('ours')} | {cell('dask')} | "
              f"{r['ours'][0] / r['floor'][0]:.2f}× | {r['dask'][0] / r['ours'][0]:.2f}× | {m} |"
              if all(k in r for k in ("ours", "floor", "dask")) else f"| {name} | incomplete: {sorted(r)} |")
    for name, disk, r, mem in rows:
        if "ours-capped" in r:
            wall, rss, _ = r["ours-capped"]
            print(f"\n{name}: this crate under `prlimit --as={a.cap_mb} MiB` (address space capped at "
                  f"{a.cap_mb / (nbytes / 2**20):.2f}× the array): {wall:.1f} s, peak RSS {rss:.0f} MB"
                  )


if __name__ == "__main__":
    main()
