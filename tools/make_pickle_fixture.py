#!/usr/bin/python3
"""Writes tests/fixtures/pickle_lmdb/: tiny LMDBs whose values are pickled by CPython itself in
upstream's exact way (method-spec.md §6.2/§6.4/§6.5): pickle.dumps((arr.tobytes(), arr.shape, id), protocol=p).

Run with /usr/bin/python3 (numpy + lmdb). Layout:
  records/      single LMDB, one record per case (protocols 2, 4, 5; int/numpy/str/no id; and
                hand-made numpy-2 `numpy._core.multiarray` records), described by records.json
  pretrain/     0k_251k_uint8_s1.lmdb, 0k_251k_uint8_s2c.lmdb, dw_labels.lmdb: 3 locations of
                8x8 pixels, keys "0".."2", numpy int64 ids, protocol 4 (pickle's default)
Array contents are (arange(n) * 7 + 3) % 251 (labels: % 9) so the C++ test recomputes them.
"""
import json
import os
import pickle
import shutil
import sys

import lmdb
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "pickle_lmdb")


def pattern(shape, dtype, mod=251):
    n = int(np.prod(shape))
    return ((np.arange(n, dtype=np.int64) * 7 + 3) % mod).astype(dtype).reshape(shape)


def open_env(path):
    if os.path.exists(path):
        shutil.rmtree(path)
    return lmdb.open(path, map_size=1 << 24)


def close_env(env, path):
    env.close()
    lock = os.path.join(path, "lock.mdb")
    if os.path.exists(lock):
        os.remove(lock)


def to_numpy2_name(blob, protocol):
    """Rewrites numpy 1.x's `numpy.core.multiarray` global into numpy 2's `numpy._core.multiarray`."""
    if protocol == 2:
        out = blob.replace(b"cnumpy.core.multiarray\nscalar\n", b"cnumpy._core.multiarray\nscalar\n")
    else:
        old = b"\x8c\x15numpy.core.multiarray"
        out = blob.replace(old, b"\x8c\x16numpy._core.multiarray")
        assert blob[2] == 0x95  # FRAME: grow its length by one
        n = int.from_bytes(blob[3:11], "little") + 1
        out = out[:3] + n.to_bytes(8, "little") + out[11:]
    assert out != blob
    return out


def main():
    os.makedirs(ROOT, exist_ok=True)
    cases = []
    path = os.path.join(ROOT, "records")
    env = open_env(path)
    with env.begin(write=True) as txn:
        specs = [
            ("p2_u8_npid", 2, "uint8", (2, 3, 5), np.int64(251079)),
            ("p4_u8_npid", 4, "uint8", (4, 2, 6, 6), np.int64(7)),
            ("p5_u8_npid", 5, "uint8", (3, 4), np.int64(-5)),
            ("p2_f64_noid", 2, "float64", (2, 4, 4), None),
            ("p4_u16_noid", 4, "uint16", (13, 3, 3), None),
            ("p2_f32_strid", 2, "float32", (2, 3, 3), "s1_dw_1234.tif"),
            ("p4_i16_strid", 4, "int16", (13, 2, 2), "s2_dw_1234.tif"),
            ("p4_u8_pyint", 4, "uint8", (5,), 3000000000),
            ("p4_u8_int32id", 4, "uint8", (2, 2), np.int32(-70000)),
            ("p2_empty", 2, "uint8", (0,), np.int64(1)),
            ("p4_big", 4, "uint8", (300,), np.int64(2)),
        ]
        for key, proto, dtype, shape, rid in specs:
            arr = pattern(shape, dtype)
            t = (arr.tobytes(), arr.shape) if rid is None else (arr.tobytes(), arr.shape, rid)
            txn.put(key.encode(), pickle.dumps(t, protocol=proto))
            cases.append({"key": key, "dtype": dtype, "shape": list(shape),
                          "id": None if rid is None else (rid if isinstance(rid, str) else int(rid))})
        for proto in (2, 4):
            key = f"p{proto}_numpy2_core"
            arr = pattern((2, 3, 3), "uint8")
            blob = to_numpy2_name(pickle.dumps((arr.tobytes(), arr.shape, np.int64(42)), protocol=proto), proto)
            txn.put(key.encode(), blob)
            cases.append({"key": key, "dtype": "uint8", "shape": [2, 3, 3], "id": 42})
    close_env(env, path)
    with open(os.path.join(ROOT, "records.json"), "w") as f:
        json.dump(cases, f, indent=1)

    pre = os.path.join(ROOT, "pretrain")
    os.makedirs(pre, exist_ok=True)
    ids = [251079, 17, 99999]
    for name, shape, mod in (("0k_251k_uint8_s1.lmdb", (4, 2, 8, 8), 251),
                             ("0k_251k_uint8_s2c.lmdb", (4, 13, 8, 8), 251),
                             ("dw_labels.lmdb", (4, 8, 8), 9)):
        p = os.path.join(pre, name)
        env = open_env(p)
        with env.begin(write=True) as txn:
            for i, lid in enumerate(ids):
                arr = pattern(shape, "uint8", mod)
                arr = ((arr.astype(np.int64) + i) % mod).astype(np.uint8)
                txn.put(str(i).encode(), pickle.dumps((arr.tobytes(), arr.shape, np.int64(lid))))
        close_env(env, p)
    print("wrote", ROOT, file=sys.stderr)


if __name__ == "__main__":
    main()
