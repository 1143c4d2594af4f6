#!/usr/bin/env bash
# Bad input to the commands: a message naming the problem, a non-zero exit, no output file.
#   usage_errors_test.sh ATTRAX_BINARY
set -uo pipefail
attrax=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
failures=0

# expect STATUS TEXT COMMAND...: the command exits with STATUS and its stderr contains TEXT.
expect() {
  local status=$1 text=$2
  shift 2
  "$@" > out.txt 2> err.txt
  local got=$?
  if [ "$got" -ne "$status" ] || ! grep -qF -- "$text" err.txt; then
    echo "FAIL: $* -> exit $got (want $status), stderr: $(cat err.txt) (want '$text')"
    failures=$((failures + 1))
  fi
}

small=(--data shapes:64 --size 16 --channels 1 --width 4 --epochs 1)
expect 2 "unknown option '--bogus'" "$attrax" train --bogus
expect 2 "--epochs expects an integer of at least 1" "$attrax" train --epochs 0
expect 2 "--lr needs a value" "$attrax" train --lr
expect 2 "unknown optimizer 'rmsprop'" "$attrax" train --optimizer rmsprop
expect 2 "unknown --data 'cifar'" "$attrax" train --data cifar
expect 1 "unknown model 'resnet9'" "$attrax" train --model resnet9 "${small[@]}"
expect 1 "unknown activation 'swish'" "$attrax" train --activation swish "${small[@]}"
expect 1 "missing.idx" "$attrax" train --data idx:missing.idx,labels.idx
expect 1 "training diverged" "$attrax" train "${small[@]}" --batch 16 --lr 1e30 --schedule constant --out nan.safetensors
[ ! -f nan.safetensors ] || { echo "FAIL: a diverged run wrote its model"; failures=$((failures + 1)); }
expect 2 "--model is required" "$attrax" eval
expect 1 "nope.safetensors" "$attrax" eval --model nope.safetensors
printf 'not a model file' > junk.safetensors
expect 1 "junk.safetensors" "$attrax" eval --model junk.safetensors
expect 1 "does not fit the data" "$attrax" eval --model "$(
  "$attrax" train --data shapes:64 --size 16 --channels 3 --width 4 --epochs 1 --out rgb.safetensors \
    2>/dev/null; echo rgb.safetensors)" --data fmnist --limit 4
expect 2 "--reps expects an integer of at least 1, got '0'" "$attrax" bench --reps 0
expect 2 "--reps expects an integer of at least 1, got 'x'" "$attrax" bench --reps x
expect 2 "--reps expects at most 1000" "$attrax" bench --reps 1001
expect 2 "--fastest is given twice" "$attrax" bench --fastest --fastest

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "every bad input was refused with its message"
