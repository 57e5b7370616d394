#!/usr/bin/python3
"""Loads a pretraining dataset written by cromss the way upstream's SSL4EODataset does
(pickle.loads of each value, np.frombuffer(bytes, uint8).reshape(shape), id equality) and prints
per-LMDB counts. Usage: /usr/bin/python3 tools/check_lmdb_with_python.py DIR [N]"""
import os
import pickle
import sys

import lmdb
import numpy as np


def main():
    root = sys.argv[1]
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    names = ["0k_251k_uint8_s1.lmdb", "0k_251k_uint8_s2c.lmdb", "dw_labels.lmdb"]
    if os.path.exists(os.path.join(root, "dw_labels_clean.lmdb")):
        names.append("dw_labels_clean.lmdb")
    envs = [lmdb.open(os.path.join(root, n), readonly=True, lock=False) for n in names]
    n = envs[2].stat()["entries"]
    for i in range(min(n, limit)):
        ids = []
        for name, env in zip(names, envs):
            with env.begin() as txn:
                raw, shape, lid = pickle.loads(txn.get(str(i).encode()))
            arr = np.frombuffer(raw, dtype=np.uint8).reshape(shape)
            ids.append(int(lid))
            if "labels" in name:
                assert arr.max() <= 8, (name, i)
        assert len(set(ids)) == 1, (i, ids)
    print(f"{root}: {n} locations, first {min(n, limit)} load in Python with agreeing ids")


if __name__ == "__main__":
    main()
