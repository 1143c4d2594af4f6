#!/usr/bin/env python3
"""Times every OpenMP parallel region of a program that repeats one workload, and prints one
workload step region by region: each region's median time, the median serial gap before it (time
no region ran: the calling thread alone, the other threads waiting) and the function the region
runs, then the totals. It shows which ops of a pass are slow, and how much of the pass runs on one
thread. The step is found as the period of the sequence of region functions at the end of the run.

    scripts/region_profile.py [--threads 2] [--top N] -- build-rel/cli/attrax bench --threads 2 \\
        --filter resnet8_ig32

The program must be built with OpenMP through libgomp (GCC), and run the workload several times
(attrax bench does, 20+ times for the attributions). Compiles scripts/region_profile.c with cc,
preloads it and resolves the region functions with addr2line (binutils).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def build_library(directory):
    library = os.path.join(directory, "region_profile.so")
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", os.path.join(HERE, "region_profile.c"),
                    "-o", library, "-ldl"], check=True)
    return library


def read_records(path):
    records = []
    with open(path) as f:
        for line in f:
            file, offset, region_us, gap_us = line.split()
            records.append(((file, offset), float(region_us), float(gap_us)))
    return records


def step_period(keys, min_repeats=3):
    """The smallest p for which the last min_repeats * p region functions repeat with period p."""
    for p in range(1, len(keys) // min_repeats + 1):
        tail = keys[-min_repeats * p:]
        if all(tail[i] == tail[i + p] for i in range(len(tail) - p)):
            return p
    sys.exit("region_profile.py: the regions do not repeat; run the workload several times")


def repeated_steps(keys, period):
    """How many whole steps at the end of the run repeat the last one."""
    steps = 1
    while (steps + 1) * period <= len(keys) and \
            keys[-(steps + 1) * period:-steps * period] == keys[-period:]:
        steps += 1
    return steps


def function_names(keys):
    names = {}
    by_file = {}
    for file, offset in keys:
        by_file.setdefault(file, []).append(offset)
    for file, offsets in by_file.items():
        result = subprocess.run(["addr2line", "-f", "-C", "-e", file] + ["0x" + o for o in offsets],
                                capture_output=True, text=True)
        lines = result.stdout.split("\n")
        for i, offset in enumerate(offsets):
            name = lines[2 * i] if result.returncode == 0 and 2 * i < len(lines) else "?"
            names[(file, offset)] = name
    return names


def short(name, width=110):
    for prefix in ("attrax::kernels::fast::", "attrax::kernels::", "(anonymous namespace)::"):
        name = name.replace(prefix, "")
    return name if len(name) <= width else name[:width - 3] + "..."


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="OMP_NUM_THREADS (default 2)")
    parser.add_argument("--top", type=int, default=0, help="list only the N slowest regions")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- program and its arguments")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the program to run after --")

    with tempfile.TemporaryDirectory() as directory:
        out = os.path.join(directory, "regions.txt")
        env = dict(os.environ, LD_PRELOAD=build_library(directory), REGION_PROFILE_OUT=out,
                   OMP_NUM_THREADS=str(args.threads))
        run = subprocess.run(command, env=env, stdout=subprocess.DEVNULL)
        if run.returncode != 0:
            sys.exit(f"region_profile.py: {' '.join(command)} exited with {run.returncode}")
        if not os.path.exists(out):
            sys.exit("region_profile.py: no regions recorded (is the program built with GCC's OpenMP?)")
        records = read_records(out)

    keys = [key for key, _, _ in records]
    period = step_period(keys)
    steps = repeated_steps(keys, period)
    tail = records[-steps * period:]
    names = function_names(set(keys[-period:]))
    rows = []
    for i in range(period):
        region = statistics.median(tail[j][1] for j in range(i, len(tail), period))
        gap = statistics.median(tail[j][2] for j in range(i, len(tail), period))
        rows.append((i, region, gap, names[keys[-period + i]]))
    print(f"{period} regions per step, medians over the last {steps} steps (µs)")
    print(f"{'#':>4} {'region':>9} {'gap':>8}  function")
    shown = sorted(rows, key=lambda r: -r[1])[:args.top] if args.top else rows
    for i, region, gap, name in shown:
        print(f"{i:4d} {region:9.1f} {gap:8.1f}  {short(name)}")
    in_regions = sum(r[1] for r in rows)
    gaps = sum(r[2] for r in rows)  # region 0's gap runs from the previous step's last region
    print(f"step: {in_regions:.1f} µs in regions, {gaps:.1f} µs between them")


if __name__ == "__main__":
    main()
