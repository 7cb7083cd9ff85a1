"""npy_ref.py -- numpy's side of the .npy tests (tests/test_npy.c).

`write DIR` saves, with numpy itself, one file per (dtype, shape) case plus
the raw bytes (.bin) and shape (.shape) the C reader must find, and a set of
files the reader must refuse. `check DIR` verifies that each out_<case>.npy
written by vd_npy_write loads in numpy to the same array and is byte for
byte what np.save writes. Run with Debian's python3 (numpy)."""
import os
import sys

import numpy as np

DTYPES = ["float32", "float64", "int64", "int32", "int16", "uint16", "int8", "uint8", "bool"]
SHAPES = [(), (0,), (5,), (2, 3), (1, 3, 4, 5), (2, 1, 3, 1, 2, 1, 2, 3), (123456789, 0)]


def cases():
    rng = np.random.default_rng(7)
    for dt in DTYPES:
        for k, shape in enumerate(SHAPES):
            if dt == "bool":
                a = rng.integers(0, 2, size=shape).astype(bool)
            elif dt.startswith("float"):
                a = rng.standard_normal(size=shape).astype(dt)
            else:
                info = np.iinfo(dt)
                a = rng.integers(info.min, info.max, size=shape, dtype=dt, endpoint=True)
            yield f"{dt}_{k}", a


def write(d):
    from numpy.lib import format as fmt
    for name, a in cases():
        np.save(os.path.join(d, f"case_{name}.npy"), a)
        open(os.path.join(d, f"case_{name}.bin"), "wb").write(a.tobytes())
        open(os.path.join(d, f"case_{name}.shape"), "w").write(" ".join(map(str, a.shape)))
        if name.endswith("_3"):  # the same array in format 2.0 and 3.0
            for v in ((2, 0), (3, 0)):
                stem = f"case_{name}_v{v[0]}"
                with open(os.path.join(d, stem + ".npy"), "wb") as f:
                    fmt.write_array(f, a, version=v)
                open(os.path.join(d, stem + ".bin"), "wb").write(a.tobytes())
                open(os.path.join(d, stem + ".shape"), "w").write(" ".join(map(str, a.shape)))
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.save(os.path.join(d, "bad_fortran.npy"), np.asfortranarray(a))
    np.save(os.path.join(d, "bad_bigendian.npy"), a.astype(">f4"))
    np.save(os.path.join(d, "bad_float16.npy"), a.astype(np.float16))
    np.save(os.path.join(d, "bad_structured.npy"), np.zeros(3, dtype=[("x", "<f4"), ("y", "<i4")]))
    good = open(os.path.join(d, "case_float32_3.npy"), "rb").read()
    open(os.path.join(d, "bad_truncated.npy"), "wb").write(good[:-7])
    open(os.path.join(d, "bad_header.npy"), "wb").write(
        good[:10] + b"{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }".ljust(117)
        + b"\n")
    open(os.path.join(d, "bad_magic.npy"), "wb").write(b"PK\x03\x04" + good[4:])


def check(d):
    bad = 0
    n = 0
    for name, a in cases():
        for suffix in ("", "_v2", "_v3"):
            out = os.path.join(d, f"out_{name}{suffix}.npy")
            if not os.path.exists(out):
                if suffix:
                    continue
                print(f"{out}: missing")
                bad += 1
                continue
            n += 1
            b = np.load(out)
            if b.dtype != a.dtype or b.shape != a.shape or not np.array_equal(a, b):
                print(f"{out}: numpy reads {b.dtype}{b.shape}, expected {a.dtype}{a.shape}")
                bad += 1
            ref = open(os.path.join(d, f"case_{name}.npy"), "rb").read()
            if open(out, "rb").read() != ref:
                print(f"{out}: bytes differ from np.save")
                bad += 1
    print(f"checked {n} files, {bad} problems")
    return 1 if bad or n == 0 else 0


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2])
    else:
        sys.exit(check(sys.argv[2]))
