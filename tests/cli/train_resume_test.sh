#!/usr/bin/env bash
# `attrax train` killed mid-epoch and resumed from its checkpoint ends with the very model file of an
# uninterrupted run, and two runs with the same seed and threads write identical files.
#   train_resume_test.sh ATTRAX_BINARY
set -euo pipefail
attrax=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

train_args=(train --data shapes:3000 --size 16 --channels 1 --model resnet8 --width 4
  --epochs 3 --batch 32 --lr 0.05 --crop-padding 1 --flip --seed 3 --threads 2)
train() { "$attrax" "${train_args[@]}" "$@"; }

train --out a.safetensors 2>/dev/null
train --out b.safetensors 2>/dev/null
cmp a.safetensors b.safetensors

# Kill the run once the checkpoint of epoch 1 exists, i.e. during epoch 2 (an epoch takes a quarter
# of a second or more).
# A simple command, not the function: `$!` must be attrax itself, or the kill would hit a subshell
# and leave attrax running on to overwrite the checkpoint while the resumed run reads it.
"$attrax" "${train_args[@]}" --out c.safetensors 2>/dev/null &
pid=$!
for _ in $(seq 1 600); do
  [ -f c.ckpt.safetensors ] && break
  sleep 0.05
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
[ -f c.ckpt.safetensors ] || { echo "no checkpoint after the first epoch"; exit 1; }
[ ! -f c.safetensors ] || { echo "the run finished before it was killed"; exit 1; }
ls c.safetensors.tmp-* 2>/dev/null && { echo "a temporary file was left behind"; exit 1; }

train --out c.safetensors --resume c.ckpt.safetensors 2>resume.log
# Epoch 2 normally; epoch 3 when a loaded machine let the poll above sleep through a whole epoch.
grep -Eq "resumed at epoch [23]" resume.log || { cat resume.log; exit 1; }
cmp a.safetensors c.safetensors
# The log keeps one entry per epoch across the interruption.
[ "$(grep -c '"epoch":' c.log.json)" -eq 3 ] || { cat c.log.json; exit 1; }
echo "resume reproduces the uninterrupted run"
