#!/usr/bin/env python3
"""NumPy reference of the fake-quantization formats of FORMULAS.md section C.

Written independently of extension/core/quant so that the unit tests can cross-check the
TypeScript bit for bit: the element cast here picks the nearest of an enumerated grid (ties by the
parity of the grid index = the mantissa's last bit), the MX exponent comes from numpy.frexp, and
the int path follows onnxruntime's quant_utils.compute_scale_zp / quantize_nparray with numpy's
float32/float64 types.

Shared conventions with the TypeScript (documented there): NaN and +-Inf take no part in any
range/amax and are copied through unchanged; the int formats never produce -0; the float
formats keep the sign of zero.

Usage:
  quant_reference.py check  < jobs.json > results.json   (used by test/unit/quant)
      jobs: [{"format", "shape", "channelAxis" (int|null), "blockAxis", "flatten", "rounding",
              "data": base64 float32 little-endian}]  ->  [{"values": base64 float32}]
  quant_reference.py bench [--elements N] [--repeat R] [--formats a,b]  (NumPy throughput per format, JSON lines)
  quant_reference.py sweep --model m.onnx --tensors tensors.json [--formats a,b]  (a model's weights x formats, with
      the error metrics: the anchor of scripts/bench/realistic.mjs's quant sweep)
"""
import base64
import json
import sys
import time

import numpy as np

F32 = np.float32

FORMATS = [
    "int8", "int4", "int8_asym", "int4_asym",
    "int8_per_tensor", "int4_per_tensor", "int8_asym_per_tensor", "int4_asym_per_tensor",
    "fp8_e4m3", "fp8_e5m2",
    "mxint8", "mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e2m3", "mxfp6_e3m2", "mxfp4",
    "nvfp4",
]


class Grid:
    """Sign-magnitude element grid: positive values ascending (index 0 is zero), its max and emax."""

    def __init__(self, exp_bits, man_bits, bias, max_value, fixed=False):
        values = []
        if fixed:  # MXINT8: k/64, |k| <= 127
            values = [k / 64.0 for k in range(0, 128)]
        else:
            emin = 1 - bias
            for code in range(0, 2 ** (exp_bits + man_bits)):
                e_field, m = divmod(code, 2 ** man_bits)
                if e_field == 0:
                    v = m * 2.0 ** (emin - man_bits)
                else:
                    v = (1 + m / 2.0 ** man_bits) * 2.0 ** (e_field - bias)
                if v <= max_value:
                    values.append(v)
        self.pos = np.array(values, dtype=np.float64)
        assert np.all(np.diff(self.pos) > 0)
        self.max = max_value
        self.emax = int(np.frexp(max_value)[1]) - 1
        self.man_bits = man_bits
        self.emin = 0 if fixed else 1 - bias  # MXINT8: one binade, quantum 2^-6


E4M3 = Grid(4, 3, 7, 448.0)
E5M2 = Grid(5, 2, 15, 57344.0)
E3M2 = Grid(3, 2, 3, 28.0)
E2M3 = Grid(2, 3, 1, 7.5)
E2M1 = Grid(2, 1, 1, 6.0)
INT8_FIXED = Grid(0, 6, 0, 127 / 64.0, fixed=True)

MX_GRIDS = {
    "mxint8": INT8_FIXED, "mxfp8_e4m3": E4M3, "mxfp8_e5m2": E5M2,
    "mxfp6_e2m3": E2M3, "mxfp6_e3m2": E3M2, "mxfp4": E2M1,
}


def cast(v, grid, rounding="rne"):
    """Nearest grid value of float64 array v, saturating; ties to the even index (rne) or up in magnitude (rhaz)."""
    v = np.asarray(v, dtype=np.float64)
    nan = np.isnan(v)
    a = np.minimum(np.abs(np.where(nan, 0.0, v)), grid.max)
    pos = grid.pos
    idx = np.clip(np.searchsorted(pos, a, side="left"), 1, len(pos) - 1)
    lo = pos[idx - 1]
    hi = pos[idx]
    dlo = a - lo
    dhi = hi - a
    if rounding == "rne":
        tie_hi = (idx % 2) == 0
    else:
        tie_hi = np.ones_like(idx, dtype=bool)
    take_hi = (dhi < dlo) | ((dhi == dlo) & tie_hi)
    r = np.where(take_hi, hi, lo)
    r = np.where(a == 0, 0.0, r)
    return np.where(nan, v, np.copysign(r, v))


def finite_abs(x):
    return np.where(np.isfinite(x), np.abs(x), 0).astype(x.dtype)


# ---- int (onnxruntime weight quantizer) ----

def int_range(bits, symmetric):
    if bits == 8:
        return (-127, 127) if symmetric else (-128, 127)
    return (-8, 7)


def compute_scale_zp(rmin, rmax, qmin, qmax, symmetric):
    rmin = np.minimum(F32(rmin), F32(0))
    rmax = np.maximum(F32(rmax), F32(0))
    if symmetric:
        absmax = np.maximum(np.abs(rmin), np.abs(rmax))
        rmin, rmax = -absmax, absmax
    dr = np.array(rmax - rmin, dtype=np.float64)  # float32 subtraction, then widened
    scale = dr / (np.float64(qmax) - np.float64(qmin))
    if scale < np.finfo(np.float32).tiny:
        return F32(1.0), 0
    if symmetric:
        zp = int(np.round((qmin + qmax) / 2.0))
    else:
        zp = int(np.round(qmin - np.float64(rmin) / scale))
    return F32(scale), zp


def int_quantize_slice(w, bits, symmetric):
    qmin, qmax = int_range(bits, symmetric)
    fin = w[np.isfinite(w)]
    lo = fin.min() if fin.size else F32(0)
    hi = fin.max() if fin.size else F32(0)
    scale, zp = compute_scale_zp(lo, hi, qmin, qmax, symmetric)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        q = np.clip(np.round(w / scale) + F32(zp), qmin, qmax).astype(F32)
        out = ((q - F32(zp)) * scale).astype(F32)
    out = out + F32(0)  # -0 -> +0: integer levels have no signed zero
    return np.where(np.isfinite(w), out, w)


def int_fake_quantize(x, shape, bits, symmetric, channel_axis):
    x = x.reshape(shape)
    if channel_axis is None:
        return int_quantize_slice(x, bits, symmetric).reshape(-1)
    out = np.empty_like(x)
    for c in range(shape[channel_axis]):
        sl = [slice(None)] * len(shape)
        sl[channel_axis] = c
        out[tuple(sl)] = int_quantize_slice(x[tuple(sl)], bits, symmetric)
    return out.reshape(-1)


# ---- FP8 per-tensor ----

def fp8_fake_quantize(x, grid):
    amax = finite_abs(x).max() if x.size else F32(0)
    if amax == 0:
        return x.copy()
    s = F32(amax) / F32(grid.max)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if s == 0:
            out = x * F32(0)
        else:
            out = (s * cast(x / s, grid).astype(F32)).astype(F32)
    return np.where(np.isfinite(x), out, x)


# ---- blocks ----

def to_blocks(x, shape, axis, flatten, block):
    """[outer, L, inner] -> [outer, inner, nblocks, block] (zero padded) and the inverse."""
    if len(shape) == 0:
        shape = [1]
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    length = int(shape[axis])
    inner = int(np.prod(shape[axis + 1:], dtype=np.int64))
    if flatten:
        length, inner = length * inner, 1
    v = x.reshape(outer, length, inner).transpose(0, 2, 1)
    nb = -(-length // block)
    pad = nb * block - length
    v = np.concatenate([v, np.zeros((outer, inner, pad), dtype=x.dtype)], axis=2)
    v = v.reshape(outer, inner, nb, block)

    def back(b):
        b = b.reshape(outer, inner, nb * block)[:, :, :length]
        return np.ascontiguousarray(b.transpose(0, 2, 1)).reshape(-1)

    return v, back


def mx_fake_quantize(x, shape, axis, flatten, fmt, rounding):
    grid = MX_GRIDS[fmt]
    v, back = to_blocks(x, shape, axis, flatten, 32)
    amax = finite_abs(v).max(axis=3, keepdims=True).astype(np.float64)
    _, ex = np.frexp(amax)  # amax = m * 2^ex, m in [0.5, 1)
    e = np.where(amax > 0, ex - 1 - grid.emax, -127)
    e = np.clip(e, -127, 127)
    X = np.ldexp(1.0, e)
    with np.errstate(invalid="ignore"):
        out = (cast(v.astype(np.float64) / X, grid, rounding) * X).astype(F32)
    out = np.where(np.isfinite(v), out, v)
    return back(out)


def nvfp4_fake_quantize(x, shape, axis, flatten):
    amax_t = finite_abs(x).max() if x.size else F32(0)
    s2 = F32(amax_t) / F32(2688)
    if s2 == 0:
        with np.errstate(invalid="ignore"):
            return np.where(np.isfinite(x), x * F32(0), x)
    v, back = to_blocks(x, shape, axis, flatten, 16)
    amax = finite_abs(v).max(axis=3, keepdims=True).astype(F32)
    sb = cast(amax / (F32(6) * s2), E4M3).astype(F32)
    comb = (sb * s2).astype(F32)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = cast(v / comb, E2M1).astype(F32)
        out = ((p * sb).astype(F32) * s2).astype(F32)
        out = np.where(comb == 0, v * F32(0), out)
    out = np.where(np.isfinite(v), out, v)
    return back(out)


def fake_quantize(x, shape, fmt, channel_axis=0, block_axis=-1, flatten=False, rounding="rne"):
    """x: float32 1-D array of prod(shape) values (row-major). Returns float32 1-D."""
    x = np.asarray(x, dtype=F32).reshape(-1)
    rank = max(1, len(shape))
    if fmt.startswith("int"):
        bits = 8 if fmt.startswith("int8") else 4
        symmetric = "_asym" not in fmt
        per_tensor = fmt.endswith("_per_tensor") or len(shape) < 2 or channel_axis is None
        ax = None if per_tensor else channel_axis % rank
        return int_fake_quantize(x, list(shape), bits, symmetric, ax)
    if fmt == "fp8_e4m3":
        return fp8_fake_quantize(x, E4M3)
    if fmt == "fp8_e5m2":
        return fp8_fake_quantize(x, E5M2)
    ax = block_axis % rank
    if fmt == "nvfp4":
        return nvfp4_fake_quantize(x, list(shape), ax, flatten)
    return mx_fake_quantize(x, list(shape), ax, flatten, fmt, rounding)


def error_metrics(x, xq):
    """FORMULAS.md section C error metrics over the finite x (float64)."""
    x = np.asarray(x, dtype=np.float64)
    xq = np.asarray(xq, dtype=np.float64)
    keep = np.isfinite(x)
    x, xq = x[keep], xq[keep]
    e = xq - x
    see, sxx = float(np.sum(e * e)), float(np.sum(x * x))
    nx, nq = np.sqrt(sxx), np.sqrt(float(np.sum(xq * xq)))
    return {
        "mse": see / x.size if x.size else float("nan"),
        "sqnr_db": float("inf") if see == 0 else 10 * np.log10(sxx / see),
        "rel_fro": np.sqrt(see) / nx if nx else float("nan"),
        "max_abs": float(np.max(np.abs(e))) if x.size else float("nan"),
        "cosine": float(np.clip(np.dot(x, xq) / (nx * nq), -1, 1)) if nx and nq else float("nan"),
    }



# ---- vectorized implementation (whole-array float32 ops, no Python loop over elements,
# channels or blocks): what `bench` times and what `check` returns. `check` also verifies it
# against the grid-search implementation above, value for value. ----

def _exp_field(a):
    """Unbiased binary exponent of float32 |a| read from the bits (subnormals give -127)."""
    return (a.view(np.int32) >> 23) - 127


def fast_cast(v, grid, rounding="rne"):
    """Saturating round of float32 v to the grid, sign of zero kept, NaN through.

    a = min(|v|, max) (max is a grid value, so nothing rounds above it); quantum
    q = 2^(max(e, emin) - man_bits); RNE: (a + c) - c with c = 2^23 q (float32's own
    ties-to-even), RHAZ: floor(a/q + 1/2) q. Exact: every step is a float32 op on values the
    grid's binade keeps exact.
    """
    a = np.abs(v)
    np.minimum(a, F32(grid.max), out=a)  # NaN stays NaN
    e = _exp_field(a)
    np.maximum(e, grid.emin, out=e)
    if rounding == "rne":
        c = ((e + (150 - grid.man_bits)) << 23).view(F32)
        a += c
        a -= c
    else:
        inv = ((127 - e + grid.man_bits) << 23).view(F32)  # 2^-(e - man_bits)
        q = ((e + (127 - grid.man_bits)) << 23).view(F32)
        a *= inv
        a += F32(0.5)
        np.floor(a, out=a)
        a *= q
    return np.copysign(a, v, out=a)


def _finite_or_zero(v):
    return np.where(np.isfinite(v), v, F32(0))


def fast_int(x, shape, bits, symmetric, channel_axis):
    qmin, qmax = int_range(bits, symmetric)
    if channel_axis is None:
        v = x.reshape(1, 1, -1)
    else:
        outer = int(np.prod(shape[:channel_axis], dtype=np.int64))
        v = x.reshape(outer, shape[channel_axis], -1)
    lo = v.min(axis=(0, 2))
    hi = v.max(axis=(0, 2))
    special = not (np.isfinite(lo).all() and np.isfinite(hi).all())
    if special:  # NaN or +-Inf somewhere: ranges over the finite values only
        fin = np.isfinite(v)
        lo = np.where(fin, v, np.inf).min(axis=(0, 2))
        hi = np.where(fin, v, -np.inf).max(axis=(0, 2))
        none = ~np.isfinite(lo)
        lo = np.where(none, F32(0), lo).astype(F32)
        hi = np.where(none, F32(0), hi).astype(F32)
    rmin = np.minimum(lo, F32(0))
    rmax = np.maximum(hi, F32(0))
    if symmetric:
        a = np.maximum(np.abs(rmin), np.abs(rmax))
        rmin, rmax = -a, a
    scale64 = (rmax - rmin).astype(np.float64) / (np.float64(qmax) - np.float64(qmin))
    if symmetric:
        zp = np.full(scale64.shape, np.round((qmin + qmax) / 2.0))
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            zp = np.round(qmin - rmin.astype(np.float64) / scale64)
    tiny = scale64 < np.finfo(np.float32).tiny
    scale = np.where(tiny, 1.0, scale64).astype(F32)[None, :, None]
    zp = np.where(tiny, 0.0, zp)
    lo_q = (qmin - zp).astype(F32)[None, :, None]
    hi_q = (qmax - zp).astype(F32)[None, :, None]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        q = v / scale
        np.round(q, out=q)  # ties to even
        np.maximum(q, lo_q, out=q)  # clip(RNE(w/s) + zp, qmin, qmax) - zp, without forming q + zp
        np.minimum(q, hi_q, out=q)
        q *= scale
        q += F32(0)  # -0 -> +0
    if special:
        q = np.where(np.isfinite(v), q, v)
    return q.reshape(-1)


def _fast_amax(x, axis=None, keepdims=False):
    """Largest finite |x| (NaN/Inf ignored) and whether any non-finite value was seen."""
    m = np.maximum(x.max(axis=axis, keepdims=keepdims), -x.min(axis=axis, keepdims=keepdims))
    if np.isfinite(m).all():
        return m, False
    return finite_abs(x).max(axis=axis, keepdims=keepdims), True


def fast_fp8(x, grid):
    amax, special = _fast_amax(x)
    if amax == 0:
        return x.copy()
    s = F32(amax) / F32(grid.max)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if s == 0:
            out = x * F32(0)
        else:
            out = fast_cast(x / s, grid)
            out *= s
    return np.where(np.isfinite(x), out, x) if special else out


def _blocks(x, shape, axis, flatten, block):
    """[outer, L, inner] as [outer, nb, block, inner] (zero padded when block does not divide L) and the inverse."""
    if len(shape) == 0:
        shape = [1]
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    length = int(shape[axis])
    inner = int(np.prod(shape[axis + 1:], dtype=np.int64))
    if flatten:
        length, inner = length * inner, 1
    v = x.reshape(outer, length, inner)
    nb = -(-length // block)
    if nb * block != length:
        v = np.concatenate([v, np.zeros((outer, nb * block - length, inner), dtype=x.dtype)], axis=1)
    v = v.reshape(outer, nb, block, inner)

    def back(b):
        return b.reshape(outer, nb * block, inner)[:, :length, :].reshape(-1)

    return v, back


def fast_mx(x, shape, axis, flatten, fmt, rounding):
    grid = MX_GRIDS[fmt]
    v, back = _blocks(x, shape, axis, flatten, 32)
    amax, special = _fast_amax(v, axis=2, keepdims=True)
    e = _exp_field(amax) - grid.emax
    e = np.where(amax > 0, e, -127)
    np.clip(e, -127, 127, out=e)
    X = np.ldexp(np.float64(1), e).astype(F32)  # 2^-127 is a float32 subnormal, exact
    inv = ((127 - e) << 23).view(F32)  # 2^-e (e >= -127, so at most 2^127)
    with np.errstate(invalid="ignore", over="ignore"):
        out = fast_cast(v * inv, grid, rounding)
        out *= X
    if special:
        out = np.where(np.isfinite(v), out, v)
    return back(out)


def fast_nvfp4(x, shape, axis, flatten):
    amax_t, special = _fast_amax(x)
    s2 = F32(amax_t) / F32(2688)
    if s2 == 0:
        with np.errstate(invalid="ignore"):
            return np.where(np.isfinite(x), x * F32(0), x)
    v, back = _blocks(x, shape, axis, flatten, 16)
    amax, _ = _fast_amax(v, axis=2, keepdims=True)
    sb = fast_cast(amax / (F32(6) * s2), E4M3)
    comb = sb * s2
    with np.errstate(invalid="ignore", divide="ignore"):
        out = fast_cast(v / comb, E2M1)
        out *= sb
        out *= s2
        if (comb == 0).any():
            out = np.where(comb == 0, v * F32(0), out)
    if special:
        out = np.where(np.isfinite(v), out, v)
    return back(out)


def fast_fake_quantize(x, shape, fmt, channel_axis=0, block_axis=-1, flatten=False, rounding="rne"):
    """The vectorized twin of fake_quantize (same arguments, same float32 result bit for bit)."""
    x = np.asarray(x, dtype=F32).reshape(-1)
    rank = max(1, len(shape))
    if fmt.startswith("int"):
        bits = 8 if fmt.startswith("int8") else 4
        symmetric = "_asym" not in fmt
        per_tensor = fmt.endswith("_per_tensor") or len(shape) < 2 or channel_axis is None
        ax = None if per_tensor else channel_axis % rank
        return fast_int(x, list(shape), bits, symmetric, ax)
    if fmt == "fp8_e4m3":
        return fast_fp8(x, E4M3)
    if fmt == "fp8_e5m2":
        return fast_fp8(x, E5M2)
    ax = block_axis % rank
    if fmt == "nvfp4":
        return fast_nvfp4(x, list(shape), ax, flatten)
    return fast_mx(x, list(shape), ax, flatten, fmt, rounding)


def same_bits(a, b):
    a = np.asarray(a, dtype=F32)
    b = np.asarray(b, dtype=F32)
    nan = np.isnan(a) & np.isnan(b)
    return a.shape == b.shape and bool(np.all(nan | (a.view(np.uint32) == b.view(np.uint32))))


def check(stdin, stdout):
    jobs = json.load(stdin)
    results = []
    for job in jobs:
        data = np.frombuffer(base64.b64decode(job["data"]), dtype="<f4").astype(F32)
        args = dict(channel_axis=job.get("channelAxis", 0), block_axis=job.get("blockAxis", -1),
                    flatten=bool(job.get("flatten", False)), rounding=job.get("rounding", "rne"))
        out = fast_fake_quantize(data, job["shape"], job["format"], **args)
        slow = fake_quantize(data, job["shape"], job["format"], **args)
        if not same_bits(out, slow):
            bad = int(np.argmax(~((np.isnan(out) & np.isnan(slow)) | (out.view(np.uint32) == slow.view(np.uint32)))))
            sys.exit(f"vectorized and grid-search references differ: {job['format']} shape {job['shape']} at {bad}: "
                     f"x = {data[bad]!r}, vectorized {out[bad]!r}, grid {slow[bad]!r}")
        results.append({"values": base64.b64encode(out.astype("<f4").tobytes()).decode()})
    json.dump(results, stdout)


def bench(argv):
    n = int(argv[argv.index("--elements") + 1]) if "--elements" in argv else 1 << 20
    repeat = int(argv[argv.index("--repeat") + 1]) if "--repeat" in argv else 3
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n).astype(F32)
    shape = [n // 1024, 1024]
    only = argv[argv.index("--formats") + 1].split(",") if "--formats" in argv else FORMATS
    for fmt in [f for f in FORMATS if f in only]:
        best = float("inf")
        best_cpu = float("inf")
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            fast_fake_quantize(x[: shape[0] * shape[1]], shape, fmt, channel_axis=0, block_axis=1)
            best = min(best, time.perf_counter() - t0)
            best_cpu = min(best_cpu, time.process_time() - c0)
        print(json.dumps({"format": fmt, "elements": shape[0] * shape[1], "seconds": best,
                          "melem_per_s": shape[0] * shape[1] / best / 1e6, "cpu_seconds": best_cpu,
                          "melem_per_cpu_s": shape[0] * shape[1] / max(best_cpu, 1e-9) / 1e6}), flush=True)


def fast_error_sums(x, xq):
    """error_metrics' sums, vectorized for speed: float64 dot products (BLAS), finite x only."""
    if not np.isfinite(x).all():
        keep = np.isfinite(x)
        x, xq = x[keep], xq[keep]
    x64 = x.astype(np.float64)
    q64 = xq.astype(np.float64)
    e = q64 - x64
    see, sxx, sqq, sxq = float(np.dot(e, e)), float(np.dot(x64, x64)), float(np.dot(q64, q64)), float(np.dot(x64, q64))
    nx, nq = np.sqrt(sxx), np.sqrt(sqq)
    return {
        "mse": see / x.size if x.size else float("nan"),
        "sqnr_db": float("inf") if see == 0 else 10 * np.log10(sxx / see),
        "rel_fro": np.sqrt(see) / nx if nx else float("nan"),
        "max_abs": float(np.max(np.abs(e))) if x.size else float("nan"),
        "cosine": float(np.clip(sxq / (nx * nq), -1, 1)) if nx and nq else float("nan"),
    }


def sweep(argv):
    """The NumPy anchor of the realistic quant sweep: every listed tensor of the model x every
    format, fake quantization (the vectorized functions above, the tensor's own axes) plus the
    five error metrics. Prints one JSON line: seconds and CPU seconds of the sweep alone (the
    model load apart), load seconds, tensors, parameters, formats, peak RSS.
    tensors.json: {"formats": [...], "tensors": [{"name", "source", "shape", "channelAxis", "blockAxis",
    "blockFlattenTrailing"}]} (our report's formats and tensorInfo; Constant-node tensors are left out)."""
    import resource
    import onnx
    from onnx import numpy_helper
    model_path = argv[argv.index("--model") + 1]
    with open(argv[argv.index("--tensors") + 1]) as f:
        listed = json.load(f)
    tensors = [t for t in listed["tensors"] if t.get("source", "initializer") == "initializer"]
    formats = argv[argv.index("--formats") + 1].split(",") if "--formats" in argv else listed["formats"]
    t0, c0 = time.perf_counter(), time.process_time()
    model = onnx.load(model_path)
    weights = {i.name: i for i in model.graph.initializer}
    arrays = [(t, numpy_helper.to_array(weights[t["name"]]).astype(F32).reshape(-1)) for t in tensors]
    del model, weights
    load_s, load_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    params = 0
    for t, x in arrays:
        params += x.size
        for fmt in formats:
            xq = fast_fake_quantize(x, t["shape"], fmt, channel_axis=t["channelAxis"], block_axis=t["blockAxis"],
                                    flatten=bool(t.get("blockFlattenTrailing", False)))
            fast_error_sums(x, xq)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "load_seconds": load_s, "load_cpu_seconds": load_cpu,
                      "tensors": len(arrays), "params": params, "formats": len(formats),
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "check":
        check(sys.stdin, sys.stdout)
    elif len(sys.argv) >= 2 and sys.argv[1] == "bench":
        bench(sys.argv[2:])
    elif len(sys.argv) >= 2 and sys.argv[1] == "sweep":
        sweep(sys.argv[2:])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
