#!/usr/bin/env bash
# Regenerates what is built from kbp itself: the shell completion scripts in completions/
# and the man page docs/kbp.1 (both from the clap definition; tests/integration/generated.rs
# fails when they are stale), and docs/demo.txt, a recorded terminal session of `kbp demo`
# (stdout and stderr as a terminal shows them, without escape codes).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --quiet --locked
target=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
kbp=$target/debug/kbp

mkdir -p completions
"$kbp" completions bash > completions/kbp.bash
"$kbp" completions zsh > completions/_kbp
"$kbp" completions fish > completions/kbp.fish
"$kbp" completions elvish > completions/kbp.elv
"$kbp" completions powershell > completions/_kbp.ps1
"$kbp" man > docs/kbp.1

{
  echo '$ cargo run --release -- demo'
  "$kbp" demo 2>&1
} | sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\r$//' > docs/demo.txt
echo "gen-docs.sh: wrote completions/, docs/kbp.1 and docs/demo.txt" >&2
