#!/usr/bin/env bash
# Adversarial training and robustness evaluation from the command line: `train --adv` writes a model
# and logs the held-out PGD accuracy, `eval --attack` prints one JSON object with the clean and
# robust accuracies and the masking checks, an ensemble of models is attacked as one, and bad attack
# options are refused with their message.
#   adversarial_test.sh ATTRAX_BINARY
set -uo pipefail
attrax=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect STATUS TEXT COMMAND...: the command exits with STATUS and its stderr contains TEXT.
expect() {
  local status=$1 text=$2
  shift 2
  "$@" > out.txt 2> err.txt
  local got=$?
  if [ "$got" -ne "$status" ] || ! grep -qF -- "$text" err.txt; then
    fail "$* -> exit $got (want $status), stderr: $(cat err.txt) (want '$text')"
  fi
}

small=(--data shapes:160 --size 16 --channels 1 --width 4 --epochs 2 --batch 32)
"$attrax" train "${small[@]}" --adv fgsm --eps 0.1 --overfit-holdout 32 --out fgsm.safetensors \
  > train.out 2> train.err || fail "FGSM-AT training failed: $(cat train.err)"
grep -qF "adversarially: fgsm linf eps=0.1 steps=1 alpha=0.125" train.err ||
  fail "training did not announce its recipe: $(cat train.err)"
grep -qF "held-out PGD-10 accuracy" train.err || fail "no held-out PGD accuracy: $(cat train.err)"
python3 -c "
import json, sys
log = json.load(open('fgsm.log.json'))
assert log['training']['loss'].startswith('fgsm linf eps=0.1'), log['training']
assert all('heldout_pgd_accuracy' in e for e in log['epochs']), log['epochs']
" || fail "the log lacks the recipe or the held-out accuracy"

"$attrax" eval --model fgsm.safetensors --data shapes:40 --attack fgsm,pgd --eps 0,0.2 --steps 5 \
  --check-limit 20 --json > eval.json 2> eval.err || fail "eval --attack failed: $(cat eval.err)"
python3 -c "
import json
r = json.load(open('eval.json'))
assert 0 <= r['clean_accuracy'] <= 1
assert [(x['attack'], x['eps']) for x in r['results']] == [('fgsm', 0), ('pgd', 0), ('fgsm', 0.2), ('pgd', 0.2)], r['results']
for x in r['results']:
    assert x['robust_accuracy'] <= r['clean_accuracy'] + 1e-12
    assert x['steps'] == 5
assert r['results'][0]['robust_accuracy'] == r['clean_accuracy']
assert [c['name'] for c in r['checks']] == ['more_steps', 'pgd_vs_fgsm', 'large_eps'], r['checks']
" || fail "eval --attack --json is not the expected object: $(cat eval.json)"

# attack: one image in (.npy written here, [1, 16, 16] in [0, 1]), PNG and .npy out, inside the ball.
python3 -c "
import struct
header = \"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 16, 16), }\"
header += ' ' * (118 - len(header)) + '\\n'
data = struct.pack('<256f', *[((i * 7) % 16) / 16 for i in range(256)])
open('x.npy', 'wb').write(b'\\x93NUMPY\\x01\\x00' + struct.pack('<H', len(header)) + header.encode() + data)
"
"$attrax" attack --model fgsm.safetensors --input x.npy --attack pgd --eps 0.05 --steps 5 --out adv \
  > attack.out 2> attack.err || fail "attack failed: $(cat attack.err)"
[ -s adv/x-adv.png ] && [ -s adv/x-adv.npy ] || fail "attack did not write adv/x-adv.png and .npy"
grep -qE "^pgd eps 0.05 \(linf\): class [0-9]+ \(p [0-9.]+\) -> class [0-9]+ \(p [0-9.]+\), \|d\|inf 0.0[0-5]" attack.out ||
  fail "attack did not report the predictions and a perturbation within eps: $(cat attack.out)"
"$attrax" attack --model fgsm.safetensors --input adv/x-adv.png --attack fgsm --eps 0.05 --target 2 \
  --out adv2 > /dev/null 2> attack2.err || fail "a targeted attack on the PNG failed: $(cat attack2.err)"
# an ensemble of two models (the FGSM-AT one and a plain one) attacked as one, targeted
"$attrax" train --data shapes:160 --size 16 --channels 1 --width 4 --epochs 1 --batch 32 \
  --out plain.safetensors > /dev/null 2> plain.err ||
  fail "plain training failed: $(cat plain.err)"
"$attrax" attack --model fgsm.safetensors,plain.safetensors --input x.npy --attack mifgsm --eps 0.05 \
  --steps 5 --target 1 --out ens > ens.out 2> ens.err || fail "the ensemble attack failed: $(cat ens.err)"
[ "$(grep -c "^  member .*: class [0-9]* (p [0-9.]*) -> class [0-9]* (p [0-9.]*)$" ens.out)" -eq 2 ] ||
  fail "the ensemble attack did not report both members: $(cat ens.out)"
grep -qE "^mifgsm eps 0.05 \(linf\): .*\|d\|inf 0.0[0-5]" ens.out ||
  fail "the ensemble attack left the ball: $(cat ens.out)"
"$attrax" train --data shapes:40 --size 20 --channels 1 --width 4 --epochs 1 --out small.safetensors \
  > /dev/null 2> small.err || fail "training the 20-px model failed: $(cat small.err)"
expect 2 "an ensemble's models must agree" "$attrax" attack --model fgsm.safetensors,small.safetensors \
  --input x.npy --out ens2
expect 2 "--target 7 is not a class" "$attrax" attack --model fgsm.safetensors --input x.npy --target 7 --out adv3
expect 1 "missing.png" "$attrax" attack --model fgsm.safetensors --input missing.png --out adv3
[ ! -d adv3 ] || fail "a refused attack created its output directory"

expect 2 "unknown attack 'pgdd'" "$attrax" eval --model fgsm.safetensors --data shapes:8 --attack pgdd
expect 2 "--eps expects a number" "$attrax" eval --model fgsm.safetensors --data shapes:8 --attack pgd --eps x
expect 2 "--eps has an empty item" "$attrax" eval --model fgsm.safetensors --data shapes:8 --attack pgd --eps 0.1,
expect 2 "unknown norm 'l3'" "$attrax" eval --model fgsm.safetensors --data shapes:8 --attack pgd --norm l3
expect 2 "unknown method 'madry'" "$attrax" train "${small[@]}" --adv madry
expect 1 "nolayer" "$attrax" train "${small[@]}" --adv consistency --layer nolayer --out c.safetensors
[ ! -f c.safetensors ] || fail "a refused consistency run wrote its model"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "adversarial training and evaluation behave, bad options are refused"
