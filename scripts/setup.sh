#!/usr/bin/env bash
# What the test command needs from the machine, in one place: `.ci/run` and
# `scripts/test.sh` both call it. Only what is missing is installed, so a warm machine
# skips apt entirely; without root (or password-less sudo) it installs nothing and fails
# in one line that gives the exact command.
#
# The Debian packages: the C toolchain and libraries librdkafka is built with (bundled, by
# rdkafka-sys; Cyrus SASL and its GSSAPI plugin for the gssapi feature), the Java broker
# and Maven to fetch it, the scripts' tools (openssl and the JDK's keytool make the test
# PKI; an MIT KDC for the Kerberos tests; python3 for the OIDC issuer), and Prometheus
# (prometheus and promtool, for the tests of deploy/ and the metrics).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

packages=(build-essential cmake pkg-config libssl-dev openssl zlib1g-dev python3 util-linux coreutils
          libsasl2-dev libsasl2-modules-gssapi-mit krb5-kdc krb5-admin-server krb5-user
          openjdk-17-jdk-headless maven prometheus)
missing=()
if command -v dpkg-query >/dev/null; then
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
# A JDK, Maven and Prometheus installed outside apt (e.g. a machine image's own) are fine too.
command -v java >/dev/null && missing=("${missing[@]/openjdk-17-jdk-headless}")
command -v mvn >/dev/null && missing=("${missing[@]/maven}")
command -v prometheus >/dev/null && command -v promtool >/dev/null && missing=("${missing[@]/prometheus}")
read -ra missing <<<"${missing[*]}"

command -v cargo >/dev/null || {
  echo "setup.sh: cargo not found: install Rust with rustup (https://rustup.rs), then run this again" >&2
  exit 1
}
((${#missing[@]})) || exit 0

sudo=""
if [[ $(id -u) != 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo=sudo
  else
    echo "setup.sh: missing Debian packages; install them with: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi
command -v apt-get >/dev/null || {
  echo "setup.sh: missing packages ${missing[*]} and no apt-get here: install their equivalents" >&2
  exit 1
}
echo "setup.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The packages may start their system services (Prometheus on port 9090, the KDC's); the
# tests start their own.
if command -v service >/dev/null; then
  for s in prometheus krb5-kdc krb5-admin-server; do
    [[ " ${missing[*]} " == *" ${s%%-*}"* ]] || continue
    $sudo service "$s" stop >/dev/null 2>&1 || true
  done
fi
