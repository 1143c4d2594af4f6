#!/usr/bin/env python3
"""Runs `attrax bench` and PyTorch's torch_ref.py one right after the other, several times, and prints
per workload both medians and the median of the per-pair ratios (attrax's advantage: above 1 means
attrax is faster). On a shared machine a single pair can be off by 2x; pairing each attrax run with
the PyTorch run next to it, and taking the median over pairs, keeps the ratios steady. Every other
pair runs PyTorch first, so that neither program always has the edge of running second
(bench_runs.alternate).

    scripts/bench_side_by_side.py [--attrax build/cli/attrax] [--threads 2] [--pairs 3]
                                  [--filter S] [--markdown]

torch_ref.py runs under /usr/bin/python3 (Debian's python3-torch); it always runs every workload,
and only the keys both programs report are compared.
"""
import argparse
import os
import statistics

from bench_runs import alternate

HERE = os.path.dirname(os.path.abspath(__file__))
TORCH_REF = os.path.join(HERE, "..", "..", "shared", "bench", "torch_ref.py")


def advantage(key, ours, theirs):
    """Times (keys ending in _ms): theirs / ours; rates: ours / theirs."""
    return theirs / ours if key.endswith("_ms") else ours / theirs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attrax", default=os.path.join(HERE, "..", "build", "cli", "attrax"))
    parser.add_argument("--torch-ref", default=TORCH_REF)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--filter", default="")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = parser.parse_args()
    if args.pairs < 1 or args.threads < 1:
        parser.error("--pairs and --threads must be at least 1")
    for path, what in ((args.attrax, "--attrax"), (args.torch_ref, "--torch-ref")):
        if not os.path.isfile(path):
            parser.error(f"{what} {path} does not exist")

    attrax_cmd = [args.attrax, "bench", "--threads", str(args.threads), "--json"]
    if args.filter:
        attrax_cmd += ["--filter", args.filter]
    torch_cmd = ["/usr/bin/python3", args.torch_ref, str(args.threads), "--json"]

    ours, theirs = alternate(attrax_cmd, torch_cmd, args.pairs, "pair")

    peaks = [run["fma_peak_gflops"] for run in ours]
    keys = [k for k in theirs[0] if k in ours[0]]
    rows = []
    for k in keys:
        a = statistics.median(run[k] for run in ours)
        t = statistics.median(run[k] for run in theirs)
        r = statistics.median(advantage(k, o[k], p[k]) for o, p in zip(ours, theirs))
        # GFLOP/s as a share of the FMA peak measured in the same attrax run
        share = statistics.median(o[k] / o["fma_peak_gflops"] for o in ours) if k.endswith("_gflops") else None
        rows.append((k, a, t, r, share))

    print(f"threads {args.threads}, pairs {args.pairs}, FMA peak (median of runs) "
          f"{statistics.median(peaks):.1f} GFLOP/s, runs {', '.join(f'{p:.1f}' for p in peaks)}")
    def percent(share):
        return "" if share is None else f"{100 * share:.0f}%"

    if args.markdown:
        print("| key | attrax | % peak | PyTorch | attrax advantage |")
        print("|---|--:|--:|--:|--:|")
        for k, a, t, r, share in rows:
            print(f"| `{k}` | {a:,.2f} | {percent(share)} | {t:,.2f} | {r:.2f}x |")
    else:
        for k, a, t, r, share in rows:
            print(f"{k:32} {a:10.2f} {percent(share):>5} {t:10.2f} {r:7.2f}x")


if __name__ == "__main__":
    main()
