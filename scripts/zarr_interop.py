#!/usr/bin/env python3
"""The Zarr feature against zarr-python and xarray.

Writes Zarr v2 and v3 arrays with zarr-python (several codecs, dtypes and chunkings, a sharded
one, a Fortran-order one), runs the `zarr_gradient` example on them, opens every output group with
zarr-python, and with xarray where the input has dimension names (an output has the input's names,
none where it has none, and xarray needs them), checks the `ndarray_gradient` attribute's JSON
options, and checks the values against np.gradient: bit for bit for the
NumPy-compatible options (edge orders, spacing, axes; periodic axes against np.gradient of the
wrapped array), within rounding for the accuracy orders. Exits non-zero on the first mismatch.

    cargo build --release --features zarr --example zarr_gradient
    python scripts/zarr_interop.py [--bin target/release/examples/zarr_gradient]

Needs scripts/requirements-zarr.txt.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numcodecs
import numpy as np
import xarray as xr
import zarr

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return a.tobytes() == b.tobytes()


def field(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    f = rng.standard_normal(shape) * 10
    # Exact zeros in the result too (constant rows), which a fill-value mask would hide.
    f[0] = 3.0
    if np.issubdtype(dtype, np.integer):
        f = np.round(f * 100)
    return f.astype(dtype)


def write(path, data, chunks, zarr_format, compressors="auto", shards=None, order=None, dims=None):
    kwargs = dict(shape=data.shape, chunks=chunks, dtype=data.dtype, zarr_format=zarr_format,
                  compressors=compressors)
    if shards is not None:
        kwargs["shards"] = shards
    if order is not None:
        kwargs["order"] = order
    if dims is not None and zarr_format == 3:
        kwargs["dimension_names"] = dims
    z = zarr.create_array(store=path, **kwargs)
    if dims is not None and zarr_format == 2:
        z.attrs["_ARRAY_DIMENSIONS"] = list(dims)  # xarray's convention for v2
    z[...] = data
    return z


def run(binary, src, out, args):
    cmd = [binary, src, out, "--quiet", "--overwrite", *args]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"FAILED: {' '.join(cmd)}\n{p.stdout}\n{p.stderr}")


OPTION_KEYS = {"axes", "spacing", "coordinates", "edge_order", "accuracy", "derivative", "boundary", "period"}


def check(name, binary, tmp, data, write_kwargs, args, expected, exact=True, options=None):
    """Runs the command and checks its outputs. xarray opens them where the input has dimension
    names (a v3 array without them has none, and xarray needs them); `options` are entries the
    attribute's JSON options must hold."""
    src = os.path.join(tmp, name + ".zarr")
    out = os.path.join(tmp, name + "-out.zarr")
    write(src, data, **write_kwargs)
    run(binary, src, out, args)
    group = zarr.open_group(out, mode="r")
    attrs = dict(group.attrs)["ndarray_gradient"]
    assert attrs["complete"] is True, (name, attrs)
    assert set(attrs["options"]) == OPTION_KEYS, (name, attrs["options"])
    for k, v in (options or {}).items():
        assert attrs["options"][k] == v, (name, k, attrs["options"][k], v)
    names = sorted(expected)
    assert sorted(group.array_keys()) == names, (name, list(group.array_keys()), names)
    dims = write_kwargs.get("dims")
    ds = xr.open_zarr(out, consolidated=False) if dims is not None else None
    for key, want in expected.items():
        arr = group[key]
        assert arr.chunks == zarr.open_array(src, mode="r").chunks, (name, key, arr.chunks)
        got_dims = arr.metadata.dimension_names
        assert (tuple(got_dims) if got_dims is not None else None) == (tuple(dims) if dims else None), (name, got_dims)
        got = arr[...]
        if exact:
            if not same_bits(got, want):
                bad = np.argwhere(got != want)[:5]
                raise SystemExit(f"FAILED {name}/{key}: not bit-identical to NumPy at {bad.tolist()}")
        elif not np.allclose(got, want, rtol=1e-9, atol=1e-9):
            raise SystemExit(f"FAILED {name}/{key}: differs from the reference beyond rounding")
        if ds is not None:
            xv = ds[key].values
            if not (same_bits(xv, want) if exact else np.allclose(xv, want, rtol=1e-9, atol=1e-9)):
                raise SystemExit(f"FAILED {name}/{key}: xarray reads other values")
            assert ds[key].attrs["ndarray_gradient"]["operation"] in ("gradient", "laplacian")
    print(f"ok  {name}: {', '.join(names)} ({'bit-identical' if exact else 'within rounding'}; zarr-python"
          f"{' and xarray' if ds is not None else ''})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "examples", "zarr_gradient"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    a = ap.parse_args()
    if not os.path.exists(a.bin):
        raise SystemExit(f"no binary at {a.bin}: cargo build --release --features zarr --example zarr_gradient")
    tmp = tempfile.mkdtemp(prefix="zarr-interop-")
    print(f"zarr {zarr.__version__}, numcodecs {numcodecs.__version__}, xarray {xr.__version__}, numpy {np.__version__}")
    try:
        f = field((37, 29), np.float64, 1)
        g = np.gradient(f)
        check("v3-zstd-default", a.bin, tmp, f, dict(chunks=(8, 7), zarr_format=3, dims=["y", "x"]), [],
              {"axis0": g[0], "axis1": g[1]})
        g = np.gradient(f, 0.5, edge_order=2)
        check("v3-uncompressed-edge2", a.bin, tmp, f, dict(chunks=(5, 29), zarr_format=3, compressors=None),
              ["--edge-order", "2", "--spacing", "0.5"], {"axis0": g[0], "axis1": g[1]},
              options={"spacing": [0.5, 0.5], "edge_order": 2, "axes": [0, 1]})
        g = np.gradient(f, 0.5, 3.0)
        check("v3-spacing-per-axis", a.bin, tmp, f, dict(chunks=(8, 7), zarr_format=3, dims=["t", "x"]),
              ["--spacing", "0=0.5", "--spacing", "1=3"], {"axis0": g[0], "axis1": g[1]},
              options={"spacing": [0.5, 3.0], "coordinates": [False, False]})
        check("v3-sharded", a.bin, tmp, f, dict(chunks=(4, 7), shards=(8, 14), zarr_format=3), ["--axis", "1"],
              {"axis1": np.gradient(f, axis=1)})
        f3 = field((20, 15, 11), np.float64, 2)
        g = np.gradient(f3, edge_order=2)
        blosc = numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE)
        check("v2-blosc-3d", a.bin, tmp, f3, dict(chunks=(6, 4, 5), zarr_format=2, compressors=blosc,
                                                  dims=["z", "y", "x"]),
              ["--edge-order", "2"], {f"axis{k}": g[k] for k in range(3)})
        check("v2-chunks-of-one", a.bin, tmp, f3[:6, :5, :4], dict(chunks=(1, 1, 1), zarr_format=2),
              ["--edge-order", "2"], {f"axis{k}": v for k, v in enumerate(np.gradient(f3[:6, :5, :4], edge_order=2))})
        check("v2-order-F", a.bin, tmp, f3, dict(chunks=(7, 6, 4), zarr_format=2, order="F"), ["--axis", "0"],
              {"axis0": np.gradient(f3, axis=0)})
        fi = field((23, 19), np.int32, 3)
        g = np.gradient(fi)
        check("v2-int32-zstd", a.bin, tmp, fi, dict(chunks=(6, 5), zarr_format=2, compressors=numcodecs.Zstd(level=3)),
              [], {"axis0": g[0], "axis1": g[1]})
        ff = field((31, 17), np.float32, 4)
        g = np.gradient(ff, np.float32(0.5))
        check("v3-float32", a.bin, tmp, ff, dict(chunks=(9, 9), zarr_format=3), ["--spacing", "0.5"],
              {"axis0": g[0], "axis1": g[1]})
        # Periodic axis 1: np.gradient of the wrapped array, trimmed.
        wrapped = np.gradient(np.pad(f, ((0, 0), (1, 1)), mode="wrap"), axis=1)[:, 1:-1]
        check("v3-periodic", a.bin, tmp, f, dict(chunks=(8, 6), zarr_format=3, dims=["y", "x"]),
              ["--periodic", "1", "--axis", "1"], {"axis1": wrapped},
              options={"boundary": ["one_sided", "periodic"], "period": [None, None], "axes": [1]})
        # Accuracy 4 inside: the 5-point formula (one-sided near the ends: checked by the Rust tests).
        acc4 = np.full_like(f, np.nan)
        acc4[2:-2] = (f[:-4] - 8 * f[1:-3] + 8 * f[3:-1] - f[4:]) / 12.0
        src, out = os.path.join(tmp, "acc4.zarr"), os.path.join(tmp, "acc4-out.zarr")
        write(src, f, chunks=(6, 29), zarr_format=3)
        run(a.bin, src, out, ["--accuracy", "4", "--axis", "0"])
        got = zarr.open_group(out, mode="r")["axis0"][...]
        if not np.allclose(got[2:-2], acc4[2:-2], rtol=1e-12, atol=1e-12):
            raise SystemExit("FAILED acc4: the interior differs from the 5-point formula")
        print("ok  v3-accuracy4: interior equals the 5-point formula within rounding")
        # Laplacian, periodic on both axes: the wrapped second differences.
        lap = sum(np.roll(f, 1, k) - 2 * f + np.roll(f, -1, k) for k in range(2))
        src, out = os.path.join(tmp, "lap.zarr"), os.path.join(tmp, "lap-out.zarr")
        write(src, f, chunks=(10, 10), zarr_format=3, dims=["y", "x"])
        run(a.bin, src, out, ["--laplacian", "--periodic", "0", "--periodic", "1"])
        got = xr.open_zarr(out, consolidated=False)["laplacian"].values
        if not np.allclose(got, lap, rtol=1e-12, atol=1e-12):
            raise SystemExit("FAILED laplacian")
        print("ok  v3-laplacian-periodic: xarray reads the wrapped 5-point Laplacian")
        # Refused runs: unsupported dtype, output exists, contradicting flags; each says "error: ...".
        b = os.path.join(tmp, "bool.zarr")
        write(b, np.zeros((4, 4), dtype=bool), chunks=(2, 2), zarr_format=3)
        p = subprocess.run([a.bin, b, os.path.join(tmp, "bool-out.zarr"), "--quiet"], capture_output=True, text=True)
        assert p.returncode != 0 and p.stderr.startswith("error: ") and "unsupported data type" in p.stderr, p.stderr
        p = subprocess.run([a.bin, src, out, "--quiet", "--laplacian"], capture_output=True, text=True)
        assert p.returncode != 0 and p.stderr.startswith("error: ") and "pass --overwrite" in p.stderr, p.stderr
        p = subprocess.run([a.bin, src, out + "2", "--axis", "0", "--laplacian"], capture_output=True, text=True)
        assert p.returncode != 0 and "--axis 0 and --laplacian" in p.stderr, p.stderr
        assert not os.path.exists(out + "2")
        p = subprocess.run([a.bin, "--help"], capture_output=True, text=True)
        assert p.returncode == 0 and "--period K=L" in p.stdout and "--spacing K=H" in p.stdout, p.stdout
        print("ok  refusals: bool dtype, existing output without --overwrite, --axis with --laplacian; --help")
        meta = json.load(open(os.path.join(out, "laplacian", "zarr.json")))
        assert meta["attributes"]["ndarray_gradient"]["complete"] is True
    finally:
        if a.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("zarr interop: all checks passed")


if __name__ == "__main__":
    sys.exit(main())
