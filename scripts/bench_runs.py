"""What scripts/bench_ab.py and scripts/bench_side_by_side.py share: running a benchmark command for
its JSON object, and running two commands in turns."""
import json
import os
import subprocess
import sys


def run_json(command):
    """The JSON object `command` prints; exits naming the command when it fails."""
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{os.path.basename(sys.argv[0])}: {' '.join(command)} exited with {result.returncode}: "
                 f"{result.stderr.strip()}")
    return json.loads(result.stdout)


def alternate(first, second, rounds, label):
    """Runs the commands `first` and `second` `rounds` times each, as first, second, second, first,
    first, second, ... and returns the two lists of their JSON objects. The order swaps every round:
    on a shared machine a program run right after another one read 1.17-1.25x faster, whichever
    program it was (a kernel harness, 2 December 2026)."""
    results = ([], [])
    commands = (first, second)
    for i in range(rounds):
        print(f"{label} {i + 1}/{rounds}", file=sys.stderr)
        for k in (0, 1) if i % 2 == 0 else (1, 0):
            results[k].append(run_json(commands[k]))
    return results
