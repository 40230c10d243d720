#!/usr/bin/env bash
# Regenerates the files built from the clap definition: the shell completion scripts in
# completions/ and the man page docs/kbp.1. tests/integration/generated.rs fails when they
# are stale and points here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --quiet --locked
kbp=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/kbp
mkdir -p completions
"$kbp" completions bash > completions/kbp.bash
"$kbp" completions zsh > completions/_kbp
"$kbp" completions fish > completions/kbp.fish
"$kbp" completions elvish > completions/kbp.elv
"$kbp" completions powershell > completions/_kbp.ps1
"$kbp" man > docs/kbp.1
echo "gen-completions.sh: wrote completions/ and docs/kbp.1" >&2
