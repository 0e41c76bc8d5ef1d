#!/usr/bin/env python3
"""Time each face model in onnxruntime, single thread, on the input shapes examgate uses,
to compare with `examgate bench face` (tract). Not part of the product or its tests.

    python3 -m venv /tmp/ort && /tmp/ort/bin/pip install onnxruntime numpy
    /tmp/ort/bin/python models/ort_bench.py [--runs 50]
"""
import argparse
import os
import statistics
import time

import numpy as np
import onnxruntime as ort

SHAPES = {
    "fr_detect.onnx": (1, 3, 240, 320),
    "onet.onnx": (1, 48, 48, 3),
    "fr_landmark.onnx": (1, 1, 64, 64),
    "fr_feature.onnx": (1, 3, 112, 112),
    "fr_liveness.onnx": (1, 3, 128, 128),
    "fr_eye.onnx": (1, 1, 24, 24),
    "fr_pose.onnx": (1, 3, 224, 224),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--models", default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    rng = np.random.default_rng(0)
    print(f"onnxruntime {ort.__version__}, single thread, median/p95 of {args.runs} runs")
    print(f"{'model':<20} {'load ms':>8} {'median ms':>10} {'p95 ms':>8}")
    for name, shape in SHAPES.items():
        t = time.perf_counter()
        sess = ort.InferenceSession(os.path.join(args.models, name), opts,
                                    providers=["CPUExecutionProvider"])
        load = (time.perf_counter() - t) * 1e3
        feed = {sess.get_inputs()[0].name: rng.uniform(-1, 1, shape).astype(np.float32)}
        sess.run(None, feed)
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            sess.run(None, feed)
            times.append((time.perf_counter() - t) * 1e3)
        times.sort()
        p95 = times[int(round((len(times) - 1) * 0.95))]
        print(f"{name:<20} {load:>8.1f} {statistics.median(times):>10.2f} {p95:>8.2f}")


if __name__ == "__main__":
    main()
