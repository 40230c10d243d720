#!/usr/bin/env bash
# The test command (README.md): brings up the real Kafka broker, runs every test against it,
# and stops the broker again if this script started it. Extra arguments go to `cargo test`.
# Built with --all-features: gssapi needs libsasl2-dev and an MIT KDC (krb5-kdc), which
# scripts/setup.sh installs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# What the tests need from the machine: installed when missing (as root, or with
# password-less sudo), else one line with the exact apt-get command.
bash scripts/setup.sh

started=0
bash scripts/kafka.sh status >/dev/null 2>&1 || started=1
bootstrap=$(bash scripts/kafka.sh ensure)
if [[ $started == 1 ]]; then
  trap 'bash scripts/kafka.sh stop >/dev/null 2>&1 || true' EXIT
fi
echo "test.sh: Kafka broker at $bootstrap" >&2
# Every cargo feature is built and tested: gssapi (Kerberos, against the harness's KDC)
# and msk-iam.
KBP_TEST_BOOTSTRAP=$bootstrap cargo test --locked --all-features "$@"
