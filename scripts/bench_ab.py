#!/usr/bin/env python3
"""Runs `attrax bench` of two attrax binaries A and B alternately (A, B, B, A, A, B, ...), several rounds,
and prints per key the median and the min-max range of each, and B's advantage over A (above 1
means B is faster). It is for comparing a kernel change against the commit before it, on a machine
too noisy for one run of each: alternating the two lets the machine's load fall on both alike, and
swapping the order every round cancels the edge of running second (bench_runs.alternate).

Build the commit before the change in a git worktree, then compare:

    git worktree add /tmp/base <commit>
    cmake -S /tmp/base -B /tmp/base/build-rel -DCMAKE_BUILD_TYPE=Release
    cmake --build /tmp/base/build-rel -j2 --target attrax
    scripts/bench_ab.py --a /tmp/base/build-rel/cli/attrax --b build-rel/cli/attrax \\
                        --filter conv --reps 20 --fastest

    scripts/bench_ab.py --a PATH --b PATH [--threads 2] [--rounds 5] [--filter S] [--reps N]
                        [--fastest] [--markdown]

--threads, --filter, --reps and --fastest are passed to `attrax bench`; --reps and --fastest apply
to the conv layers only (--fastest: the fastest of the N repetitions, which drops the repetitions
that other processes slowed, but not load that lasts a whole run). B's advantage is the median over
rounds of the ratio of B's run to A's run in the same round: B / A for rates, A / B for times
(`_ms`) and memory (`_mb`). fma_peak_gflops is listed too: its range shows how loaded the machine
was.
"""
import argparse
import os
import statistics

from bench_runs import alternate


def advantage(key, a, b):
    """B's advantage: A / B for keys where less is better (times, memory), B / A for rates."""
    return a / b if key.endswith(("_ms", "_mb")) else b / a


def bench_command(binary, args):
    command = [binary, "bench", "--threads", str(args.threads), "--json"]
    if args.filter:
        command += ["--filter", args.filter]
    if args.reps is not None:
        command += ["--reps", str(args.reps)]
    if args.fastest:
        command.append("--fastest")
    return command


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", required=True, help="the attrax binary to compare against (before)")
    parser.add_argument("--b", required=True, help="the attrax binary under test (after)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5, help="runs of each binary")
    parser.add_argument("--filter", default="")
    parser.add_argument("--reps", type=int, help="timed repetitions of each conv pass (attrax: 5)")
    parser.add_argument("--fastest", action="store_true",
                        help="conv layers: the fastest repetition, not the median")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = parser.parse_args()
    counts = (("--threads", args.threads), ("--rounds", args.rounds), ("--reps", args.reps))
    for flag, value in counts:
        if value is not None and value < 1:
            parser.error(f"{flag} must be at least 1, got {value}")
    for flag, path in (("--a", args.a), ("--b", args.b)):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            parser.error(f"{flag} {path} is not an executable file")
    return args


def rows(runs_a, runs_b):
    """(key, A runs, B runs, B's advantage) for every key both report, in A's order."""
    keys = [k for k in runs_a[0] if k in runs_b[0] and k != "threads"]
    for k in keys:
        a = [run[k] for run in runs_a]
        b = [run[k] for run in runs_b]
        yield k, a, b, statistics.median(advantage(k, x, y) for x, y in zip(a, b))


def print_table(table, markdown):
    def span(values):
        return f"{min(values):,.2f}–{max(values):,.2f}"

    if markdown:
        print("| key | A median | A range | B median | B range | B advantage |")
        print("|---|--:|--:|--:|--:|--:|")
        for k, a, b, r in table:
            print(f"| `{k}` | {statistics.median(a):,.2f} | {span(a)} "
                  f"| {statistics.median(b):,.2f} | {span(b)} | {r:.2f}x |")
    else:
        print(f"{'key':32} {'A median':>10} {'A range':>17} {'B median':>10} {'B range':>17} "
              f"{'B adv.':>7}")
        for k, a, b, r in table:
            print(f"{k:32} {statistics.median(a):10.2f} {span(a):>17} "
                  f"{statistics.median(b):10.2f} {span(b):>17} {r:6.2f}x")


def main():
    args = parse_args()
    command_a, command_b = bench_command(args.a, args), bench_command(args.b, args)
    runs_a, runs_b = alternate(command_a, command_b, args.rounds, "round")

    timing = f"reps {args.reps or 'default'}, {'fastest' if args.fastest else 'median'}"
    print(f"threads {args.threads}, rounds {args.rounds}, conv layers: {timing}")
    print(f"A: {' '.join(command_a)}\nB: {' '.join(command_b)}")
    print_table(list(rows(runs_a, runs_b)), args.markdown)


if __name__ == "__main__":
    main()
