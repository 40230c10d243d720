#!/usr/bin/env bash
# A real Apache Kafka broker (single combined KRaft node on 127.0.0.1) for kbp's
# tests, benchmarks and CI.  Jars come from Maven Central (scripts/kafka/pom.xml).
#
#   scripts/kafka.sh fetch              download the jars into $KBP_KAFKA_CACHE/lib (quiet, idempotent)
#   scripts/kafka.sh start [--clean]    format (if needed) + start a broker, print its PLAINTEXT bootstrap
#   scripts/kafka.sh stop [--clean]     stop it (SIGTERM, then SIGKILL); --clean also deletes its data
#   scripts/kafka.sh ensure             print the bootstrap of the running broker, starting one if needed
#                                       (safe to call from many processes at once)
#   scripts/kafka.sh status             "running ..." (exit 0) or "not running" (exit 1)
#   scripts/kafka.sh bootstrap          print the PLAINTEXT bootstrap, or exit 1
#   scripts/kafka.sh sasl-bootstrap     print the SASL_PLAINTEXT (SCRAM-SHA-512) bootstrap, or exit 1
#   scripts/kafka.sh ssl-bootstrap      print the SSL bootstrap (server certificate only), or exit 1
#   scripts/kafka.sh mtls-bootstrap     print the SSL bootstrap that requires a client certificate
#   scripts/kafka.sh expired-bootstrap  print an SSL bootstrap whose server certificate has expired
#   scripts/kafka.sh sasl-ssl-bootstrap print the SASL_SSL bootstrap (SCRAM-SHA-256, SCRAM-SHA-512, PLAIN)
#   scripts/kafka.sh kerberos-bootstrap print the SASL_PLAINTEXT bootstrap with GSSAPI (Kerberos)
#   scripts/kafka.sh krb5-dir           print the Kerberos realm's directory (a throwaway MIT KDC, realm KBP.TEST,
#                                       started with the broker; needs krb5-kdc, krb5-admin-server, krb5-user):
#                                         krb5.conf      the realm's client config (KRB5_CONFIG=...)
#                                         kbp.keytab     keys of kbp@KBP.TEST (User:kbp);  other.keytab  of other@KBP.TEST
#                                         ghost.keytab   keys of ghost@KBP.TEST, a principal since deleted from the KDC
#                                       The broker's principal is kafka/127.0.0.1@KBP.TEST (service name kafka).
#   scripts/kafka.sh oidc-url           print the OIDC issuer's token endpoint (HTTPS, certificate signed by ca.pem)
#   scripts/kafka.sh oidc-dir           print the OIDC issuer's directory (tokens.log: one line per token issued)
#   scripts/kafka.sh tls-dir            print the directory of the test PKI (PEM), generated at start:
#                                         ca.pem          the private CA every listener's certificate is signed by
#                                         other-ca.pem    a CA that signed nothing here (the "wrong CA")
#                                         client.pem      client certificate (CN=kbp-client), for mtls-bootstrap
#                                         client.key      its key, unencrypted;  client-enc.key  the same key
#                                         client-key.password  encrypted with this password
#                                       Server certificates name IP 127.0.0.1 only: "localhost" is a hostname mismatch.
#
# Principals (KRaft's StandardAuthorizer; a principal without an ACL may do nothing):
#   super users   User:ANONYMOUS (PLAINTEXT and SSL listeners, the controller), User:kbp, User:kbp-client (mTLS),
#                 User:kbp-oidc, User:kbp-oidc-short (OAUTHBEARER)
#   User:kbp             SCRAM-SHA-256/512 and PLAIN, password kbp-secret; GSSAPI as kbp@KBP.TEST (keytab in krb5-dir)
#   User:kbp-oidc        OAUTHBEARER on the SASL_SSL listener: client id kbp-oidc, secret kbp-oidc-secret, from
#                        the OIDC issuer (scripts/kafka/oidc-issuer.py, started with the broker); tokens live 1 h.
#   User:kbp-oidc-short  the same with secret kbp-oidc-secret and 10-second tokens (refresh tests)
#   User:kbp-limited     SCRAM-SHA-256/512 and PLAIN, password kbp-limited-secret; its only ACLs (prefixed):
#                          cluster DESCRIBE; topics lim-* and groups lim-* READ (so DESCRIBE);
#                          groups limd-* DESCRIBE; topics limw-* WRITE (so DESCRIBE)
#   scripts/kafka.sh tool NAME [ARGS]   run one of Apache's CLI tools (see `tool --list`)
#   scripts/kafka.sh metrics-url        print the JMX exporter's URL (broker started with KBP_KAFKA_JMX_EXPORTER=1)
#
# Cluster mode (fault tests): three combined broker+controller KRaft nodes (node.id 1, 2, 3; a
# 3-voter quorum) on 127.0.0.1, PLAINTEXT only, replication factor 3 and min.insync.replicas=2
# by default, in $KBP_KAFKA_RUN/node1..3. Give it a run dir of its own (it does not touch the
# single broker's files, but shares the run lock). Every wait polls for an event (a port, an
# answer to kafka-topics, no under-replicated partition) within KBP_KAFKA_START_TIMEOUT.
#   scripts/kafka.sh cluster-start      start (or repair: start stopped nodes, thaw frozen ones) all
#                                       three, wait until each serves and every replica is in sync, move
#                                       leaderships back to the preferred replicas; print the bootstrap
#                                       list (127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3)
#   scripts/kafka.sh cluster-stop [--clean]  stop every node (SIGTERM, then SIGKILL); --clean kills at
#                                       once and deletes the data, config and ports
#   scripts/kafka.sh cluster-status     one line per node: running, frozen, not serving or stopped
#                                       (exit 0 only when all three run)
#   scripts/kafka.sh cluster-bootstrap  print the bootstrap list, or exit 1
#   scripts/kafka.sh node-kill N        kill -9 node N (returns once it is gone)
#   scripts/kafka.sh node-stop N        SIGTERM node N (controlled shutdown) and wait for its exit
#   scripts/kafka.sh node-start N       start node N again on its ports (thaw it if frozen); return once it
#                                       serves and has rejoined: no partition under-replicated
#   scripts/kafka.sh node-freeze N      SIGSTOP node N (alive, silent: connections open, no answers)
#   scripts/kafka.sh node-thaw N        SIGCONT node N; return once it serves and has rejoined
#
# Environment:
#   KBP_KAFKA_CACHE          jar cache             (default <repo>/.cache/kafka)
#   KBP_KAFKA_RUN            run dir               (default <repo>/.cache/kafka/run)
#   KBP_KAFKA_START_TIMEOUT  seconds to wait for the broker to serve   (default 120)
#   KBP_KAFKA_STOP_TIMEOUT   seconds between SIGTERM and SIGKILL       (default 30)
#   KBP_KAFKA_HEAP_OPTS      broker heap           (default "-Xms256m -Xmx1g")
#   KBP_KAFKA_JAVA_OPTS      extra JVM options for the broker
#   KBP_KAFKA_TOOL_OPTS      extra JVM options for `tool`
#   KBP_KAFKA_TOOL_LOG_LEVEL log level of `tool` (to stderr)           (default ERROR)
#   KBP_KAFKA_JMX_EXPORTER   1: `start` attaches Prometheus's JMX exporter agent (scripts/kafka/jmx-exporter.yaml)
#   KBP_KAFKA_CLUSTER_HEAP_OPTS  heap of each cluster node  (default "-Xms128m -Xmx512m")
#   KBP_KAFKA_CLUSTER_OWNER  a pid: `cluster-start` leaves a watcher that runs `cluster-stop --clean`
#                            when that process exits (a test binary that is killed leaves no JVMs)
#   JAVA_HOME                picks the java binary (default: java on PATH; Java 17+)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
KAFKA_DIR=$SCRIPT_DIR/kafka
POM=$KAFKA_DIR/pom.xml
CACHE=${KBP_KAFKA_CACHE:-$REPO_DIR/.cache/kafka}
LIB=$CACHE/lib
RUN=${KBP_KAFKA_RUN:-$REPO_DIR/.cache/kafka/run}
START_TIMEOUT=${KBP_KAFKA_START_TIMEOUT:-120}
STOP_TIMEOUT=${KBP_KAFKA_STOP_TIMEOUT:-30}
FETCH_TIMEOUT=900
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

# Prometheus's JMX exporter agent (Maven Central: io.prometheus.jmx). Kept out of lib/ so it
# is never on the broker's classpath, and out of pom.xml so the broker jars are not re-fetched.
JMX_EXPORTER_VERSION=1.0.1
JMX_JAR=$CACHE/jmx-exporter/jmx_prometheus_javaagent-$JMX_EXPORTER_VERSION.jar

SCRAM_USER=kbp
SCRAM_PASSWORD=kbp-secret
SCRAM_MECHANISM=SCRAM-SHA-512
LIMITED_USER=kbp-limited
LIMITED_PASSWORD=kbp-limited-secret
# Store password of the broker's generated PKCS12 keystore; the client key's is in $TLS/client-key.password.
STORE_PASSWORD=kbp-store-secret
CLIENT_KEY_PASSWORD=kbp-key-secret
TLS=$RUN/tls
# The OIDC issuer: its clients (id, secret, token lifetime in seconds), all super users.
OIDC=$RUN/oidc
OIDC_CLIENTS=(kbp-oidc=kbp-oidc-secret:3600 kbp-oidc-short=kbp-oidc-secret:10)
OIDC_AUDIENCE=kafka
# The Kerberos realm (throwaway MIT KDC, kdc.conf and krb5.conf of its own).
KRB=$RUN/krb5
KRB_REALM=KBP.TEST
# Bump when the broker's security set-up changes: a data dir formatted by an older one is formatted anew.
SECURITY_STAMP=kbp-security-2
# Listener names in port order; CONTROLLER last.
LISTENERS=(PLAINTEXT SASL_PLAINTEXT SSL MTLS EXPIRED SASL_SSL KERBEROS CONTROLLER)

PROG=kafka.sh

die() { echo "$PROG: error: $*" >&2; exit 1; }

usage() {
  # The comment block at the top of this file, from the subcommand list on.
  awk 'NR >= 5 && !/^#/ { exit } NR >= 5 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}" >&2
  exit "${1:-2}"
}

# ---------------------------------------------------------------- paths & small helpers

kafka_version() {
  local v
  v=$(sed -n 's:.*<kafka.version>\([^<]*\)</kafka.version>.*:\1:p' "$POM" | head -n 1)
  [[ -n $v ]] || die "cannot read <kafka.version> from $POM"
  echo "$v"
}

stamp_file() {
  local sum
  sum=$(sha256sum "$POM" | cut -c1-12)
  echo "$LIB/.kbp-stamp-$(kafka_version)-$sum"
}

have_lib() { [[ -f $(stamp_file) ]]; }

need_cmd() { command -v "$1" >/dev/null 2>&1 || die "$1 not found on PATH ($2)"; }

check_java() {
  command -v "$JAVA" >/dev/null 2>&1 || die "java not found (install a JDK/JRE 17+, e.g. apt-get install openjdk-17-jre-headless, or set JAVA_HOME)"
  local v major
  v=$("$JAVA" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)
  major=${v%%.*}
  [[ $major =~ ^[0-9]+$ ]] || die "cannot tell the version of $JAVA (got '${v:-nothing}')"
  (( major >= 17 )) || die "Kafka $(kafka_version) needs Java 17+, $JAVA is $v"
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" >/dev/null 2>&1; }

have_python() { command -v python3 >/dev/null 2>&1 && python3 -c 'import socket' >/dev/null 2>&1; }

# free_ports N: print N distinct free TCP ports on 127.0.0.1, space separated
free_ports() {
  if have_python; then
    python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
  else
    local out=() p tries=0
    while (( ${#out[@]} < $1 )); do
      (( tries++ < 1000 )) || die "could not find $1 free ports"
      p=$(( 20000 + RANDOM % 12000 ))
      [[ " ${out[*]} " == *" $p "* ]] && continue
      port_open "$p" || out+=("$p")
    done
    echo "${out[*]}"
  fi
}

# ports_free P...: every port can be bound on 127.0.0.1 right now
ports_free() {
  if have_python; then
    python3 - "$@" <<'PY'
import socket, sys
for p in sys.argv[1:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Like the JVM's server sockets: TIME_WAIT leftovers do not block a listener.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", int(p)))
    except OSError:
        sys.exit(1)
    finally:
        s.close()
PY
  else
    local p
    for p in "$@"; do ! port_open "$p" || return 1; done
  fi
}

# prop KEY FILE: value of KEY in a .properties file
prop() { [[ -f $2 ]] || return 0; sed -n "s/^$1=//p" "$2" | tail -n 1; }

# ---------------------------------------------------------------- fetch

cmd_fetch() {
  fetch_jmx_exporter
  have_lib && return 0
  need_cmd mvn "install Maven, e.g. apt-get install maven"
  mkdir -p "$CACHE"
  # A separate lock from the run dir's: `tool` and `ensure` may both fetch.
  exec 8>"$CACHE/fetch.lock"
  flock -w "$FETCH_TIMEOUT" 8 || die "timed out after ${FETCH_TIMEOUT}s waiting for another fetch ($CACHE/fetch.lock)"
  if have_lib; then exec 8>&-; return 0; fi

  local tmp log
  tmp=$(mktemp -d "$CACHE/lib.tmp.XXXXXX")
  log=$CACHE/fetch.log
  # Output goes to a log; on success nothing is printed. CI=true / no stdin are fine with -B.
  if ! (cd "$tmp" && mvn -B -q -Dstyle.color=never -f "$POM" \
          dependency:copy-dependencies \
          -DoutputDirectory="$tmp/jars" -DincludeScope=runtime \
          </dev/null >"$log" 2>&1); then
    rm -rf "$tmp"
    tail -n 40 "$log" >&2 || true
    die "mvn dependency:copy-dependencies failed for $POM (full output: $log)"
  fi
  ls "$tmp/jars"/kafka_2.13-*.jar >/dev/null 2>&1 || { rm -rf "$tmp"; die "maven ran but no kafka_2.13 jar landed in the cache"; }
  rm -rf "$LIB"
  mv "$tmp/jars" "$LIB"
  rm -rf "$tmp"
  touch "$(stamp_file)"
  exec 8>&-
}

fetch_jmx_exporter() {
  [[ -f $JMX_JAR ]] && return 0
  need_cmd mvn "install Maven, e.g. apt-get install maven"
  local tmp log=$CACHE/fetch-jmx.log
  mkdir -p "$CACHE"
  tmp=$(mktemp -d "$CACHE/jmx.tmp.XXXXXX")
  if ! mvn -B -q -Dstyle.color=never org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
        "-Dartifact=io.prometheus.jmx:jmx_prometheus_javaagent:$JMX_EXPORTER_VERSION" \
        -DoutputDirectory="$tmp" </dev/null >"$log" 2>&1; then
    rm -rf "$tmp"
    tail -n 20 "$log" >&2 || true
    die "could not fetch io.prometheus.jmx:jmx_prometheus_javaagent:$JMX_EXPORTER_VERSION (full output: $log)"
  fi
  mkdir -p "$(dirname "$JMX_JAR")"
  mv "$tmp/$(basename "$JMX_JAR")" "$JMX_JAR"
  rm -rf "$tmp"
}

# ---------------------------------------------------------------- tools

# tool_class NAME: the main class of one of Apache's CLI tools
tool_class() {
  case $1 in
    consumer-groups)        echo org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
    share-groups)           echo org.apache.kafka.tools.consumer.group.ShareGroupCommand ;;
    streams-groups)         echo org.apache.kafka.tools.streams.StreamsGroupCommand ;;
    groups)                 echo org.apache.kafka.tools.GroupsCommand ;;
    topics)                 echo org.apache.kafka.tools.TopicCommand ;;
    configs)                echo kafka.admin.ConfigCommand ;;
    delete-records)         echo org.apache.kafka.tools.DeleteRecordsCommand ;;
    get-offsets)            echo org.apache.kafka.tools.GetOffsetShell ;;
    producer-perf-test)     echo org.apache.kafka.tools.ProducerPerformance ;;
    consumer-perf-test)     echo org.apache.kafka.tools.ConsumerPerformance ;;
    console-producer)       echo org.apache.kafka.tools.ConsoleProducer ;;
    console-consumer)       echo org.apache.kafka.tools.consumer.ConsoleConsumer ;;
    acls)                   echo org.apache.kafka.tools.AclCommand ;;
    features)               echo org.apache.kafka.tools.FeatureCommand ;;
    metadata-quorum)        echo org.apache.kafka.tools.MetadataQuorumCommand ;;
    log-dirs)               echo org.apache.kafka.tools.LogDirsCommand ;;
    transactions)           echo org.apache.kafka.tools.TransactionsCommand ;;
    broker-api-versions)    echo org.apache.kafka.tools.BrokerApiVersionsCommand ;;
    leader-election)        echo org.apache.kafka.tools.LeaderElectionCommand ;;
    reassign-partitions)    echo org.apache.kafka.tools.reassign.ReassignPartitionsCommand ;;
    storage)                echo kafka.tools.StorageTool ;;
    *.*)                    echo "$1" ;;   # a fully qualified main class
    *)                      return 1 ;;
  esac
}

TOOL_NAMES="consumer-groups share-groups streams-groups groups topics configs delete-records get-offsets"
TOOL_NAMES+=" producer-perf-test consumer-perf-test console-producer console-consumer acls features"
TOOL_NAMES+=" metadata-quorum log-dirs transactions broker-api-versions leader-election reassign-partitions storage"

# tool_jvm_opts NAME: JVM options for a tool. Short admin commands get a fast-starting JVM
# (C1 only, serial GC); clients that move data keep the full JIT.
tool_jvm_opts() {
  local opts=(-Djava.awt.headless=true -XX:-UsePerfData
              "-Dlog4j2.configurationFile=$KAFKA_DIR/log4j2-tools.xml"
              "-Dkbp.tool.log.level=${KBP_KAFKA_TOOL_LOG_LEVEL:-ERROR}")
  case $1 in
    producer-perf-test|consumer-perf-test|console-producer|console-consumer)
      opts+=(-Xms64m -Xmx1g -XX:+UseG1GC) ;;
    *)
      opts+=(-Xms32m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto) ;;
  esac
  printf '%s\n' "${opts[@]}"
}

cmd_tool() {
  [[ $# -ge 1 ]] || die "usage: $PROG tool NAME [ARGS...]  (names: $TOOL_NAMES)"
  local name=$1 class
  shift
  if [[ $name == --list || $name == list ]]; then
    local n
    for n in $TOOL_NAMES; do printf '%-22s %s\n' "$n" "$(tool_class "$n")"; done
    return 0
  fi
  class=$(tool_class "$name") || die "unknown tool '$name' (names: $TOOL_NAMES; or a fully qualified main class)"
  have_lib || cmd_fetch
  command -v "$JAVA" >/dev/null 2>&1 || die "java not found (install a JDK/JRE 17+ or set JAVA_HOME)"
  local opts=() extra=()
  mapfile -t opts < <(tool_jvm_opts "$name")
  # shellcheck disable=SC2206
  [[ -n ${KBP_KAFKA_TOOL_OPTS:-} ]] && extra=(${KBP_KAFKA_TOOL_OPTS})
  exec "$JAVA" "${opts[@]}" "${extra[@]}" -cp "$LIB/*" "$class" "$@"
}

# run_tool_quiet SECONDS NAME ARGS...: run a tool with a time bound, output to $TOOL_LOG
# (default $RUN/check.log)
run_tool_quiet() {
  local secs=$1 name=$2 class opts=()
  shift 2
  class=$(tool_class "$name")
  mapfile -t opts < <(tool_jvm_opts "$name")
  timeout "$secs" "$JAVA" "${opts[@]}" -cp "$LIB/*" "$class" "$@" </dev/null >"${TOOL_LOG:-$RUN/check.log}" 2>&1
}

# ---------------------------------------------------------------- broker state

broker_pid() {
  local pid
  pid=$(cat "$RUN/pid" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  echo "$pid"
}

# pid_alive: the pid file names a live kafka.Kafka process of this run dir
pid_alive() {
  local pid
  pid=$(broker_pid) || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $RUN/server.properties"
}

# healthy: started to completion (bootstrap file written), alive, and the port answers
healthy() {
  [[ -s $RUN/bootstrap ]] || return 1
  pid_alive || return 1
  helper_alive oidc && helper_alive kdc || return 1
  local port
  port=$(cat "$RUN/bootstrap") || return 1
  port_open "${port##*:}"
}

lock_run() {
  mkdir -p "$RUN"
  exec 9>"$RUN/lock"
  local secs=$(( START_TIMEOUT + STOP_TIMEOUT + FETCH_TIMEOUT ))
  flock -w "$secs" 9 || die "timed out after ${secs}s waiting for the lock $RUN/lock"
}

log_tail() {
  local f
  for f in "$RUN/server.log" "$RUN/stdout.log" "$RUN/check.log"; do
    [[ -s $f ]] || continue
    echo "---- last lines of $f ----" >&2
    tail -n "${1:-30}" "$f" >&2
  done
}

# ---------------------------------------------------------------- start

# write_server_properties PORT...: one port per entry of LISTENERS, in that order
write_server_properties() {
  local plain=$1 sasl=$2 ssl=$3 mtls=$4 expired=$5 sasl_ssl=$6 krb=$7 ctrl=$8 tmp=$RUN/server.properties.tmp
  local scram=org.apache.kafka.common.security.scram.ScramLoginModule
  local plain_users="user_$SCRAM_USER=\"$SCRAM_PASSWORD\" user_$LIMITED_USER=\"$LIMITED_PASSWORD\""
  cat >"$tmp" <<EOF
# Written by scripts/kafka.sh start; rewritten on every start.
# Single combined KRaft node (broker + controller) on loopback.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$ctrl
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$plain,SASL_PLAINTEXT://127.0.0.1:$sasl,SSL://127.0.0.1:$ssl,MTLS://127.0.0.1:$mtls,EXPIRED://127.0.0.1:$expired,SASL_SSL://127.0.0.1:$sasl_ssl,KERBEROS://127.0.0.1:$krb,CONTROLLER://127.0.0.1:$ctrl
advertised.listeners=PLAINTEXT://127.0.0.1:$plain,SASL_PLAINTEXT://127.0.0.1:$sasl,SSL://127.0.0.1:$ssl,MTLS://127.0.0.1:$mtls,EXPIRED://127.0.0.1:$expired,SASL_SSL://127.0.0.1:$sasl_ssl,KERBEROS://127.0.0.1:$krb
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,MTLS:SSL,EXPIRED:SSL,SASL_SSL:SASL_SSL,KERBEROS:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT

# ACLs (KRaft's StandardAuthorizer): no ACL, no access. The PLAINTEXT and SSL listeners (and the
# controller's) authenticate nobody, so their principal User:ANONYMOUS is a super user: the
# existing tests keep full access there. User:$LIMITED_USER gets only the ACLs of grant_acls.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:ANONYMOUS;User:$SCRAM_USER;User:kbp-client;User:kbp-oidc;User:kbp-oidc-short
allow.everyone.if.no.acl.found=false

# SCRAM-SHA-512 on the SASL_PLAINTEXT listener; the users are created at format time (--add-scram).
sasl.enabled.mechanisms=$SCRAM_MECHANISM
listener.name.sasl_plaintext.sasl.enabled.mechanisms=$SCRAM_MECHANISM
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=$scram required;

# TLS: every listener's certificate is signed by the private CA in $TLS (gen_tls).
ssl.keystore.type=PKCS12
ssl.keystore.location=$TLS/broker.p12
ssl.keystore.password=$STORE_PASSWORD
ssl.key.password=$STORE_PASSWORD
ssl.truststore.type=PEM
ssl.truststore.location=$TLS/ca.pem
ssl.client.auth=none
listener.name.mtls.ssl.client.auth=required
# The mTLS principal is the certificate's CN: User:kbp-client.
listener.name.mtls.ssl.principal.mapping.rules=RULE:^CN=([^,]+).*\$/\$1/,DEFAULT
listener.name.expired.ssl.keystore.location=$TLS/expired.p12

# SASL_SSL: SCRAM-SHA-256, SCRAM-SHA-512, PLAIN and OAUTHBEARER on one listener.
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN,OAUTHBEARER
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=$scram required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=$scram required;
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required $plain_users;
# OAUTHBEARER: JWTs from the OIDC issuer, checked against its JWKS (the principal is the token's sub).
# The session ends when the token expires (KIP-368): a client that does not refresh is cut off.
listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required ;
listener.name.sasl_ssl.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler
listener.name.sasl_ssl.oauthbearer.connections.max.reauth.ms=3600000
sasl.oauthbearer.jwks.endpoint.url=$(oidc_jwks_url)
sasl.oauthbearer.expected.issuer=http://127.0.0.1:$(cat "$OIDC/http_port")
sasl.oauthbearer.expected.audience=$OIDC_AUDIENCE
sasl.oauthbearer.clock.skew.seconds=1

# Kerberos (GSSAPI) on its own SASL_PLAINTEXT listener; the KDC is start_kdc's. The client
# kbp@$KRB_REALM maps to User:kbp (DEFAULT rule: the realm is the default one).
listener.name.kerberos.sasl.enabled.mechanisms=GSSAPI
listener.name.kerberos.gssapi.sasl.jaas.config=com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true keyTab="$KRB/broker.keytab" principal="kafka/127.0.0.1@$KRB_REALM";
sasl.kerberos.service.name=kafka

log.dirs=$RUN/data
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=true
delete.topic.enable=true
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1

# After a crash (kill -9) the restarted node must wait for its old registration to be fenced:
# keep that wait short (defaults 9000 / 2000 ms).
broker.session.timeout.ms=3000
broker.heartbeat.interval.ms=500

# Internal topics: one replica, few partitions (a single node on a 2-core machine).
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=5
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=5

# Groups: no join delay (classic); fast heartbeats and assignments for KIP-848 "consumer" groups.
group.initial.rebalance.delay.ms=0
group.consumer.min.heartbeat.interval.ms=500
group.consumer.heartbeat.interval.ms=1000
group.consumer.min.session.timeout.ms=3000
group.consumer.session.timeout.ms=10000
group.consumer.assignment.interval.ms=0
EOF
  mv "$tmp" "$RUN/server.properties"
}

write_client_files() {
  cat >"$RUN/client-sasl.properties" <<EOF
# Client settings for the SASL_PLAINTEXT listener (address in $RUN/sasl_bootstrap), e.g.
#   scripts/kafka.sh tool topics --bootstrap-server \$(cat $RUN/sasl_bootstrap) --command-config $RUN/client-sasl.properties --list
security.protocol=SASL_PLAINTEXT
sasl.mechanism=$SCRAM_MECHANISM
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$SCRAM_USER" password="$SCRAM_PASSWORD";
EOF
}

# gen_tls: the test PKI in $TLS, made once per run dir (openssl; keytool for the expired
# certificate, which openssl 3.0 cannot back-date). Kept across restarts so paths stay valid.
gen_tls() {
  [[ $(cat "$TLS/.done" 2>/dev/null) == "$SECURITY_STAMP" ]] && return 0
  need_cmd openssl "install OpenSSL, e.g. apt-get install openssl"
  local keytool=${JAVA_HOME:+$JAVA_HOME/bin/}keytool
  need_cmd "$keytool" "keytool comes with the JDK"
  rm -rf "$TLS" && mkdir -p "$TLS"
  (
    cd "$TLS"
    exec </dev/null >"$TLS/gen.log" 2>&1
    set -x
    ca() { # ca NAME CN: a self-signed CA
      openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -days 3650 \
        -subj "/O=kbp-test/CN=$2" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    }
    leaf() { # leaf NAME CN SAN: a key and a certificate signed by ca.pem
      openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/O=kbp-test/CN=$2"
      printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$3" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 \
        -extfile "$1.ext" -out "$1.pem"
    }
    ca ca kbp-test-ca
    ca other-ca kbp-test-other-ca
    leaf broker 127.0.0.1 IP:127.0.0.1
    leaf client kbp-client DNS:kbp-client
    openssl genrsa -out oidc-signing.key 2048
    openssl pkcs8 -topk8 -v2 aes-256-cbc -in client.key -out client-enc.key -passout "pass:$CLIENT_KEY_PASSWORD"
    printf '%s\n' "$CLIENT_KEY_PASSWORD" >client-key.password
    openssl pkcs12 -export -in broker.pem -inkey broker.key -certfile ca.pem -name broker \
      -out broker.p12 -passout "pass:$STORE_PASSWORD"
    # Expired: valid from 10 days ago for 1 day, signed by the same CA.
    openssl pkcs12 -export -in ca.pem -inkey ca.key -name ca -out ca.p12 -passout "pass:$STORE_PASSWORD"
    openssl req -newkey rsa:2048 -nodes -keyout expired.key -out expired.csr -subj "/O=kbp-test/CN=127.0.0.1"
    "$keytool" -gencert -rfc -alias ca -keystore ca.p12 -storetype PKCS12 -storepass "$STORE_PASSWORD" \
      -infile expired.csr -outfile expired.pem -startdate -10d -validity 1 -ext san=ip:127.0.0.1
    openssl pkcs12 -export -in expired.pem -inkey expired.key -certfile ca.pem -name broker \
      -out expired.p12 -passout "pass:$STORE_PASSWORD"
  ) || { tail -n 20 "$TLS/gen.log" >&2; die "generating the test certificates failed (see $TLS/gen.log)"; }
  echo "$SECURITY_STAMP" >"$TLS/.done"
}

# ---------------------------------------------------------------- helpers (OIDC issuer)

# helper_alive NAME: the process of $RUN/NAME.pid is alive and belongs to this run dir
helper_alive() {
  local pid
  pid=$(cat "$RUN/$1.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$RUN/"
}

# spawn NAME CMD...: run CMD detached like the broker (own session, output to $RUN/NAME.log,
# the lock fds closed), its pid in $RUN/NAME.pid
spawn() {
  local name=$1
  shift
  rm -f "$RUN/$name.pid"
  # shellcheck disable=SC2016  # $$ and $@ belong to the inner shell
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' "kbp-$name" "$RUN/$name.pid" "$@" \
      </dev/null >"$RUN/$name.log" 2>&1 8>&- 9>&- &
}

# stop_helper NAME: SIGTERM the process of $RUN/NAME.pid (if it is ours) and wait for it
stop_helper() {
  local pid i
  if helper_alive "$1"; then
    pid=$(cat "$RUN/$1.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for (( i = 0; i < 50; i++ )); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/$1.pid"
}

# wait_files SECONDS FILE...: 0 when every FILE is non-empty within SECONDS
wait_files() {
  local i f ok
  for (( i = 0; i < $1 * 10; i++ )); do
    ok=1
    for f in "${@:2}"; do [[ -s $f ]] || { ok=0; break; }; done
    (( ok )) && return 0
    sleep 0.1
  done
  return 1
}

oidc_jwks_url() { echo "http://127.0.0.1:$(cat "$OIDC/http_port")/jwks"; }

# start_oidc: the OIDC issuer (token endpoint over HTTPS for kbp, JWKS over HTTP for the
# broker), started before the broker, which fetches the JWKS at start-up
start_oidc() {
  helper_alive oidc && [[ -s $OIDC/http_port && -s $OIDC/https_port ]] && return 0
  stop_helper oidc
  have_python || die "python3 not found (the OIDC issuer of the OAUTHBEARER tests is a Python script)"
  rm -rf "$OIDC" && mkdir -p "$OIDC"
  spawn oidc python3 "$KAFKA_DIR/oidc-issuer.py" "$OIDC" "$TLS/oidc-signing.key" \
    "$TLS/broker.pem" "$TLS/broker.key" "${OIDC_CLIENTS[@]}"
  if ! wait_files 20 "$OIDC/http_port" "$OIDC/https_port"; then
    cat "$RUN/oidc.log" >&2
    die "the OIDC issuer did not start (see $RUN/oidc.log)"
  fi
}

# start_kdc: a throwaway MIT Kerberos realm in $KRB (database, principals and keytabs made once
# per run dir), its KDC on a free port; started before the broker, which logs in at start-up
start_kdc() {
  helper_alive kdc && return 0
  stop_helper kdc
  local tool sbin=$PATH:/usr/sbin:/sbin
  for tool in krb5kdc kdb5_util kadmin.local kinit; do
    PATH=$sbin command -v "$tool" >/dev/null 2>&1 ||
      die "$tool not found: the Kerberos tests need an MIT KDC (apt-get install krb5-kdc krb5-admin-server krb5-user)"
  done
  local port
  port=$(free_ports 1)
  mkdir -p "$KRB"
  # Both files are rewritten on every start (the port changes); the database is kept.
  cat >"$KRB/kdc.conf" <<EOF
[kdcdefaults]
  kdc_ports = $port
  kdc_tcp_ports = $port
[realms]
  $KRB_REALM = {
    database_name = $KRB/principal
    key_stash_file = $KRB/stash
    acl_file = $KRB/kadm5.acl
    max_life = 1h
    supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
  }
[logging]
  kdc = FILE:$KRB/kdc.log
EOF
  cat >"$KRB/krb5.conf" <<EOF
# The test realm of scripts/kafka.sh: KRB5_CONFIG=$KRB/krb5.conf
[libdefaults]
  default_realm = $KRB_REALM
  dns_lookup_realm = false
  dns_lookup_kdc = false
  dns_canonicalize_hostname = false
  rdns = false
  udp_preference_limit = 1
  ticket_lifetime = 1h
[realms]
  $KRB_REALM = {
    kdc = 127.0.0.1:$port
  }
[domain_realm]
  127.0.0.1 = $KRB_REALM
EOF
  if [[ $(cat "$KRB/.done" 2>/dev/null) != "$KRB_REALM" ]]; then
    (
      export KRB5_CONFIG=$KRB/krb5.conf KRB5_KDC_PROFILE=$KRB/kdc.conf PATH=$sbin
      cd "$KRB" || exit 1
      exec </dev/null >"$KRB/setup.log" 2>&1
      set -ex
      rm -f "$KRB"/principal* "$KRB/stash" "$KRB"/*.keytab
      : >"$KRB/kadm5.acl"
      kdb5_util create -s -r "$KRB_REALM" -P kbp-kdc-master-secret
      # kadmin.local exits 0 on a failed query: read what it says.
      kadm() { local out; out=$(kadmin.local -r "$KRB_REALM" -q "$1" 2>&1); echo "$out"; ! grep -qiE 'error|fail|not found|exists' <<<"$out"; }
      for p in kafka/127.0.0.1 kbp other ghost; do kadm "addprinc -randkey $p@$KRB_REALM"; done
      kadm "ktadd -k $KRB/broker.keytab kafka/127.0.0.1@$KRB_REALM"
      for p in kbp other ghost; do kadm "ktadd -k $KRB/$p.keytab $p@$KRB_REALM"; done
      kadm "delprinc -force ghost@$KRB_REALM"
    ) || { tail -n 20 "$KRB/setup.log" >&2; die "creating the Kerberos realm failed (see $KRB/setup.log)"; }
    echo "$KRB_REALM" >"$KRB/.done"
  fi
  KRB5_CONFIG=$KRB/krb5.conf KRB5_KDC_PROFILE=$KRB/kdc.conf \
    spawn kdc "$(PATH=$sbin command -v krb5kdc)" -n -r "$KRB_REALM" -P "$KRB/krb5kdc.pid"
  local i
  for (( i = 0; i < 100; i++ )); do
    port_open "$port" && return 0
    # Exited (once it has written its pid file: spawn writes it in the background).
    [[ -s $RUN/kdc.pid ]] && ! helper_alive kdc && break
    sleep 0.1
  done
  cat "$RUN/kdc.log" "$KRB/kdc.log" >&2 2>/dev/null || true
  die "the Kerberos KDC did not start on port $port (see $RUN/kdc.log and $KRB/kdc.log)"
}

# grant_acls PORT: 0 when the ACLs of User:$LIMITED_USER (see the header), through the PLAINTEXT
# listener (a super user) are in place; 1 (reason in $WAIT_ERR) when not. ACLs live in the
# metadata log: granted once per formatted data dir.
grant_acls() {
  [[ -f $RUN/data/$SECURITY_STAMP ]] && return 0
  local b=127.0.0.1:$1 who=User:$LIMITED_USER pids=() i
  local -a grants=(
    "--operation Describe --cluster"
    "--operation Read --topic lim- --group lim- --resource-pattern-type prefixed"
    "--operation Describe --group limd- --resource-pattern-type prefixed"
    "--operation Write --topic limw- --resource-pattern-type prefixed"
  )
  # One JVM each, at once: a few seconds on the first start of a run dir only.
  for i in "${!grants[@]}"; do
    # shellcheck disable=SC2086  # each grant is a list of words
    TOOL_LOG=$RUN/acl-$i.log run_tool_quiet 60 acls --bootstrap-server "$b" --add \
      --allow-principal "$who" ${grants[$i]} &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
      cat "$RUN/acl-$i.log" >&2
      WAIT_ERR="kafka-acls --add ${grants[$i]} failed"
      return 1
    fi
  done
  rm -f "$RUN"/acl-*.log
  touch "$RUN/data/$SECURITY_STAMP"
}

random_cluster_id() {
  # Kafka's Uuid.toString(): 16 random bytes, URL-safe base64 without padding; never starting with '-'.
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    [[ ${#id} -eq 22 && $id != -* ]] && { echo "$id"; return; }
  done
}

format_storage() {
  local cid
  cid=$(random_cluster_id)
  rm -rf "$RUN/data"
  if ! "$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData \
        "-Dlog4j2.configurationFile=$KAFKA_DIR/log4j2-tools.xml" \
        -cp "$LIB/*" kafka.tools.StorageTool format \
        -t "$cid" -c "$RUN/server.properties" \
        --add-scram "SCRAM-SHA-512=[name=$SCRAM_USER,password=$SCRAM_PASSWORD]" \
        --add-scram "SCRAM-SHA-256=[name=$SCRAM_USER,password=$SCRAM_PASSWORD]" \
        --add-scram "SCRAM-SHA-512=[name=$LIMITED_USER,password=$LIMITED_PASSWORD]" \
        --add-scram "SCRAM-SHA-256=[name=$LIMITED_USER,password=$LIMITED_PASSWORD]" \
        </dev/null >"$RUN/format.log" 2>&1; then
    cat "$RUN/format.log" >&2
    die "kafka.tools.StorageTool format failed (see $RUN/format.log)"
  fi
}

launch_broker() {
  local heap opts=() extra=() agent=()
  # shellcheck disable=SC2206
  heap=(${KBP_KAFKA_HEAP_OPTS:--Xms256m -Xmx1g})
  # shellcheck disable=SC2206
  [[ -n ${KBP_KAFKA_JAVA_OPTS:-} ]] && extra=(${KBP_KAFKA_JAVA_OPTS})
  [[ -n ${1:-} ]] && agent=("-javaagent:$JMX_JAR=127.0.0.1:$1:$KAFKA_DIR/jmx-exporter.yaml")
  opts=("${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
        -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -XX:-UsePerfData
        -Djava.awt.headless=true
        "-Dkafka.logs.dir=$RUN"
        # Kafka 4 fetches OAUTHBEARER JWKS only from URLs allowed here.
        "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=$(oidc_jwks_url)"
        "-Djava.security.krb5.conf=$KRB/krb5.conf"
        "-Dlog4j2.configurationFile=$KAFKA_DIR/log4j2-broker.xml"
        "${agent[@]}" "${extra[@]}")
  rm -f "$RUN/pid"
  : >"$RUN/stdout.log"
  # Detached: own session, stdin/stdout/stderr off the caller (so a caller that reads our stdout
  # to EOF is not held open by the broker), and the lock fds closed (so the broker does not hold
  # the run lock). The inner shell writes its own pid and then becomes java.
  # shellcheck disable=SC2016  # $$ and $@ belong to the inner shell
  setsid bash -c 'echo $$ >"$1"; cd "$2"; shift 2; exec "$@"' kafka-broker \
      "$RUN/pid" "$RUN" "$JAVA" "${opts[@]}" -cp "$LIB/*" kafka.Kafka "$RUN/server.properties" \
      </dev/null >>"$RUN/stdout.log" 2>&1 8>&- 9>&- &
  local i
  for i in $(seq 1 50); do
    [[ -s $RUN/pid ]] && return 0
    sleep 0.1
  done
  die "the broker process did not start (no pid file in $RUN)"
}

kill_broker() {
  local pid i
  pid=$(broker_pid) || { rm -f "$RUN/pid"; return 0; }
  if pid_alive; then
    kill -TERM "$pid" 2>/dev/null || true
    for (( i = 0; i < STOP_TIMEOUT * 10; i++ )); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "$PROG: broker (pid $pid) still running ${STOP_TIMEOUT}s after SIGTERM; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      for (( i = 0; i < 100; i++ )); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
    fi
  fi
  rm -f "$RUN/pid"
}

# wait_ready DEADLINE PORT...: 0 = serving; 1 = gave up (reason in $WAIT_ERR). The first
# port is the PLAINTEXT one, asked for metadata.
WAIT_ERR=
wait_ready() {
  local deadline=$1 p open
  shift
  local plain=$1
  WAIT_ERR=
  while :; do
    if ! pid_alive; then WAIT_ERR="the broker exited during start-up"; return 1; fi
    open=1
    for p in "$@"; do port_open "$p" || { open=0; break; }; done
    (( open )) && break
    if (( SECONDS >= deadline )); then WAIT_ERR="port 127.0.0.1:$p did not open within ${START_TIMEOUT}s"; return 1; fi
    sleep 0.2
  done
  # The port answers; now check the broker serves metadata (Admin listTopics).
  while :; do
    if run_tool_quiet 30 topics --bootstrap-server "127.0.0.1:$plain" --list; then return 0; fi
    if ! pid_alive; then WAIT_ERR="the broker exited during start-up"; return 1; fi
    if (( SECONDS >= deadline )); then WAIT_ERR="broker on 127.0.0.1:$plain did not answer kafka-topics --list within ${START_TIMEOUT}s"; return 1; fi
    sleep 0.5
  done
}

# bootstrap_file LISTENER: the run-dir file holding that listener's bootstrap
bootstrap_file() {
  case $1 in
    SASL_PLAINTEXT) echo sasl_bootstrap ;;
    SSL)            echo ssl_bootstrap ;;
    MTLS)           echo mtls_bootstrap ;;
    EXPIRED)        echo expired_bootstrap ;;
    SASL_SSL)       echo sasl_ssl_bootstrap ;;
    KERBEROS)       echo kerberos_bootstrap ;;
    *)              return 1 ;;
  esac
}

# start_locked: start a broker (caller holds the run lock); prints the bootstrap
start_locked() {
  local clean=${1:-0}
  if pid_alive; then
    die "a broker of $RUN is already running (pid $(broker_pid), bootstrap $(cat "$RUN/bootstrap" 2>/dev/null || echo '?')); use '$PROG ensure' or '$PROG stop'"
  fi
  cmd_fetch
  check_java
  mkdir -p "$RUN"
  rm -f "$RUN/pid" "$RUN/bootstrap" "$RUN"/*_bootstrap "$RUN/check.log" "$RUN/metrics_url"
  [[ $clean == 1 ]] && rm -rf "$RUN/data"
  local jmx_port=
  if [[ ${KBP_KAFKA_JMX_EXPORTER:-0} == 1 ]]; then
    fetch_jmx_exporter
    jmx_port=$(free_ports 1)
  fi

  # Reuse the previous ports when they are still free (same bootstraps across stop/start).
  local ports=() name p attempt formatted=0 listeners
  listeners=$(prop listeners "$RUN/server.properties")
  for name in "${LISTENERS[@]}"; do
    p=$(sed -n "s/.*\(^\|,\)$name:\/\/127\.0\.0\.1:\([0-9]*\).*/\2/p" <<<"$listeners")
    [[ -n $p ]] && ports+=("$p")
  done
  [[ -f $RUN/data/meta.properties && -f $RUN/data/bootstrap.checkpoint ]] && formatted=1
  # A data dir from before the current security set-up lacks its users and ACLs.
  [[ $formatted == 1 && ! -f $RUN/data/$SECURITY_STAMP ]] && formatted=0
  gen_tls
  start_oidc
  start_kdc

  for attempt in 1 2 3; do
    if ! [[ $attempt == 1 && ${#ports[@]} == "${#LISTENERS[@]}" ]] || ! ports_free "${ports[@]}"; then
      read -ra ports < <(free_ports "${#LISTENERS[@]}")
    fi
    write_server_properties "${ports[@]}"
    write_client_files
    if [[ $formatted == 0 ]]; then format_storage; formatted=1; fi

    launch_broker "$jmx_port"
    if wait_ready $(( SECONDS + START_TIMEOUT )) "${ports[@]:0:7}" && grant_acls "${ports[0]}"; then
      [[ -n $jmx_port ]] && echo "http://127.0.0.1:$jmx_port/metrics" >"$RUN/metrics_url"
      local i file
      for i in 1 2 3 4 5 6; do
        file=$(bootstrap_file "${LISTENERS[$i]}")
        echo "127.0.0.1:${ports[$i]}" >"$RUN/$file.tmp" && mv "$RUN/$file.tmp" "$RUN/$file"
      done
      echo "127.0.0.1:${ports[0]}" >"$RUN/bootstrap.tmp" && mv "$RUN/bootstrap.tmp" "$RUN/bootstrap"
      echo "127.0.0.1:${ports[0]}"
      return 0
    fi
    kill_broker
    if (( attempt < 3 )) && grep -qs 'Address already in use' "$RUN/server.log" "$RUN/stdout.log"; then
      echo "$PROG: a port was taken between choosing and binding it; retrying with new ports" >&2
      : >"$RUN/server.log"
      continue
    fi
    break
  done
  echo "$PROG: error: broker failed to start: $WAIT_ERR (run dir $RUN)" >&2
  log_tail 25
  exit 1
}

# ---------------------------------------------------------------- cluster mode
#
# Three combined broker+controller nodes (node.id 1..3, a static 3-voter KRaft quorum) on
# 127.0.0.1, PLAINTEXT only, in $RUN/node1..3 (server.properties, data/, pid, server.log,
# stdout.log). Their ports are in $RUN/cluster_ports ("PLAIN1 PLAIN2 PLAIN3 CTRL1 CTRL2 CTRL3"),
# kept across stops so a restarted node comes back where the others expect it.

CLUSTER_NODES=(1 2 3)
CLUSTER_HEAP=${KBP_KAFKA_CLUSTER_HEAP_OPTS:--Xms128m -Xmx512m}

node_dir() { echo "$RUN/node$1"; }

check_node() {
  [[ ${1:-} =~ ^[123]$ ]] || die "usage: $PROG node-$2 N  (N = 1, 2 or 3)"
}

node_pid() {
  local pid
  pid=$(cat "$RUN/node$1/pid" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  echo "$pid"
}

# node_alive N: node N's pid file names a live (or frozen) kafka.Kafka process of this run dir
node_alive() {
  local pid
  pid=$(node_pid "$1") || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  [[ $(proc_state "$pid") != Z ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $RUN/node$1/server.properties"
}

# proc_state PID: the state letter of /proc/PID/stat (R, S, T = stopped by a signal, Z, ...)
proc_state() { sed -n 's/^[0-9]* (.*) \(.\) .*/\1/p' "/proc/$1/stat" 2>/dev/null; }

node_frozen() { node_alive "$1" && [[ $(proc_state "$(node_pid "$1")") == [Tt] ]]; }

# cluster_port KIND N: node N's PLAINTEXT (KIND=plain) or CONTROLLER (KIND=ctrl) port
cluster_port() {
  local ports
  read -ra ports <"$RUN/cluster_ports" 2>/dev/null || die "no cluster in $RUN (start one with '$PROG cluster-start')"
  case $1 in plain) echo "${ports[$(( $2 - 1 ))]}" ;; ctrl) echo "${ports[$(( $2 + 2 ))]}" ;; esac
}

cluster_bootstrap_list() {
  local n out=()
  for n in "${CLUSTER_NODES[@]}"; do out+=("127.0.0.1:$(cluster_port plain "$n")"); done
  local IFS=,
  echo "${out[*]}"
}

# live_bootstrap: the PLAINTEXT addresses of the nodes that run and are not frozen
live_bootstrap() {
  local n out=()
  for n in "${CLUSTER_NODES[@]}"; do
    node_alive "$n" && ! node_frozen "$n" && out+=("127.0.0.1:$(cluster_port plain "$n")")
  done
  local IFS=,
  echo "${out[*]}"
}

write_node_properties() {
  local n=$1 dir=$RUN/node$1 voters=() i
  for i in "${CLUSTER_NODES[@]}"; do voters+=("$i@127.0.0.1:$(cluster_port ctrl "$i")"); done
  mkdir -p "$dir"
  cat >"$dir/server.properties.tmp" <<PROPS
# Written by scripts/kafka.sh cluster-start / node-start; rewritten on every start.
# Node $n of a three-node cluster of combined KRaft nodes (broker + controller) on loopback.
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$(IFS=,; echo "${voters[*]}")
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$(cluster_port plain "$n"),CONTROLLER://127.0.0.1:$(cluster_port ctrl "$n")
advertised.listeners=PLAINTEXT://127.0.0.1:$(cluster_port plain "$n")
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT

log.dirs=$dir/data
num.partitions=1
auto.create.topics.enable=true
delete.topic.enable=true
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=2
num.replica.fetchers=1

# Every record on all three nodes; a write needs two of them.
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
transaction.state.log.num.partitions=3
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
share.coordinator.state.topic.num.partitions=3

# Fail over fast: a killed or frozen node is fenced (its leaderships move) after 3 s, and
# a restarted node after kill -9 waits only that long for its old registration to go.
broker.session.timeout.ms=3000
broker.heartbeat.interval.ms=500
replica.lag.time.max.ms=10000
controller.quorum.election.timeout.ms=1000
controller.quorum.fetch.timeout.ms=2000

# Groups as on the single node (no join delay, fast KIP-848 heartbeats and assignments).
group.initial.rebalance.delay.ms=0
group.consumer.min.heartbeat.interval.ms=500
group.consumer.heartbeat.interval.ms=1000
group.consumer.min.session.timeout.ms=3000
group.consumer.session.timeout.ms=10000
group.consumer.assignment.interval.ms=0
PROPS
  mv "$dir/server.properties.tmp" "$dir/server.properties"
}

# format_nodes: format every node's data dir with one new cluster id (in parallel)
format_nodes() {
  local cid n pids=()
  cid=$(random_cluster_id)
  for n in "${CLUSTER_NODES[@]}"; do
    rm -rf "$RUN/node$n/data"
    "$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData \
      "-Dlog4j2.configurationFile=$KAFKA_DIR/log4j2-tools.xml" \
      -cp "$LIB/*" kafka.tools.StorageTool format -t "$cid" -c "$RUN/node$n/server.properties" \
      </dev/null >"$RUN/node$n/format.log" 2>&1 &
    pids+=($!)
  done
  for n in "${CLUSTER_NODES[@]}"; do
    if ! wait "${pids[$(( n - 1 ))]}"; then
      cat "$RUN/node$n/format.log" >&2
      die "kafka.tools.StorageTool format failed for node $n (see $RUN/node$n/format.log)"
    fi
  done
}

node_formatted() { [[ -f $RUN/node$1/data/meta.properties ]]; }

# launch_node N: start node N's JVM, detached (as launch_broker does)
launch_node() {
  local n=$1 dir=$RUN/node$1 heap extra=()
  # shellcheck disable=SC2206
  heap=($CLUSTER_HEAP)
  # shellcheck disable=SC2206
  [[ -n ${KBP_KAFKA_JAVA_OPTS:-} ]] && extra=(${KBP_KAFKA_JAVA_OPTS})
  rm -f "$dir/pid"
  : >"$dir/stdout.log"
  # shellcheck disable=SC2016  # $$ and $@ belong to the inner shell
  setsid bash -c 'echo $$ >"$1"; cd "$2"; shift 2; exec "$@"' "kafka-node$n" \
      "$dir/pid" "$dir" "$JAVA" "${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
      -XX:+ExitOnOutOfMemoryError -XX:-UsePerfData -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
      "-Dkafka.logs.dir=$dir" "-Dlog4j2.configurationFile=$KAFKA_DIR/log4j2-broker.xml" \
      "${extra[@]}" -cp "$LIB/*" kafka.Kafka "$dir/server.properties" \
      </dev/null >>"$dir/stdout.log" 2>&1 8>&- 9>&- &
  wait_files 5 "$dir/pid" || die "node $n's process did not start (no pid file in $dir)"
}

# signal_node N SIG: send SIG to node N and, for TERM/KILL, wait until it is gone (SIGKILL
# after $STOP_TIMEOUT s of SIGTERM)
signal_node() {
  local n=$1 sig=$2 pid i
  node_alive "$n" || { rm -f "$RUN/node$n/pid"; return 0; }
  pid=$(node_pid "$n")
  # A frozen JVM cannot act on SIGTERM.
  [[ $sig == TERM ]] && kill -CONT "$pid" 2>/dev/null
  kill "-$sig" "$pid" 2>/dev/null || true
  case $sig in TERM|KILL) ;; *) return 0 ;; esac
  for (( i = 0; i < STOP_TIMEOUT * 10; i++ )); do
    node_alive "$n" || { rm -f "$RUN/node$n/pid"; return 0; }
    sleep 0.1
  done
  echo "$PROG: node $n (pid $pid) still running ${STOP_TIMEOUT}s after SIG$sig; sending SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
  for (( i = 0; i < 100; i++ )); do node_alive "$n" || break; sleep 0.1; done
  rm -f "$RUN/node$n/pid"
}

# wait_node DEADLINE N: node N accepts connections and answers metadata (kafka-topics --list
# through its own port); 1 with the reason in $WAIT_ERR otherwise
wait_node() {
  local deadline=$1 n=$2 port
  port=$(cluster_port plain "$n")
  while ! port_open "$port"; do
    node_alive "$n" || { WAIT_ERR="node $n exited during start-up"; return 1; }
    (( SECONDS < deadline )) || { WAIT_ERR="node $n's port 127.0.0.1:$port did not open in time"; return 1; }
    sleep 0.2
  done
  until TOOL_LOG=$RUN/node$n/check.log run_tool_quiet 30 topics --bootstrap-server "127.0.0.1:$port" --list; do
    node_alive "$n" || { WAIT_ERR="node $n exited during start-up"; return 1; }
    (( SECONDS < deadline )) || { WAIT_ERR="node $n did not answer kafka-topics --list in time"; return 1; }
    sleep 0.5
  done
}

# wait_isr DEADLINE: every partition of every topic has all its replicas in sync (no
# under-replicated partition, as kafka-topics --describe sees it); 1 with $WAIT_ERR otherwise
wait_isr() {
  local deadline=$1 out
  while :; do
    if out=$(tool_stdout 30 topics --bootstrap-server "$(live_bootstrap)" \
               --describe --under-replicated-partitions) && [[ -z ${out//[[:space:]]/} ]]; then
      return 0
    fi
    if (( SECONDS >= deadline )); then
      WAIT_ERR="replicas still out of sync after ${START_TIMEOUT}s:"$'\n'"$(head -n 20 <<<"$out")"
      return 1
    fi
    sleep 0.5
  done
}

# tool_stdout SECONDS NAME ARGS...: a tool's stdout (its stderr in $RUN/check.log)
tool_stdout() {
  local secs=$1 name=$2 opts=()
  shift 2
  mapfile -t opts < <(tool_jvm_opts "$name")
  timeout "$secs" "$JAVA" "${opts[@]}" -cp "$LIB/*" "$(tool_class "$name")" "$@" </dev/null 2>"$RUN/check.log"
}

node_fail() {
  echo "$PROG: error: $WAIT_ERR (run dir $RUN)" >&2
  local f
  for f in "$RUN/node$1/server.log" "$RUN/node$1/stdout.log"; do
    [[ -s $f ]] && { echo "---- last lines of $f ----" >&2; tail -n 25 "$f" >&2; }
  done
  exit 1
}

# cluster_up: bring every node up (start the stopped ones, thaw the frozen ones), then wait
# until each serves and every replica is in sync
cluster_up() {
  local n deadline=$(( SECONDS + START_TIMEOUT ))
  cmd_fetch
  check_java
  mkdir -p "$RUN"
  local any_alive=0
  for n in "${CLUSTER_NODES[@]}"; do node_alive "$n" && any_alive=1; done
  # Ports: kept while any node runs or the data is kept (the voters are in every node's
  # config); chosen anew for a cluster with no data.
  if [[ ! -s $RUN/cluster_ports ]] || { (( ! any_alive )) && ! node_formatted 1; }; then
    free_ports 6 >"$RUN/cluster_ports"
  fi
  if (( ! any_alive )); then
    local ports
    read -ra ports <"$RUN/cluster_ports"
    ports_free "${ports[@]}" || { free_ports 6 >"$RUN/cluster_ports"; }
  fi
  for n in "${CLUSTER_NODES[@]}"; do node_alive "$n" || write_node_properties "$n"; done
  if (( ! any_alive )) && ! { node_formatted 1 && node_formatted 2 && node_formatted 3; }; then
    format_nodes
  fi
  local touched=()
  for n in "${CLUSTER_NODES[@]}"; do
    if node_frozen "$n"; then kill -CONT "$(node_pid "$n")"; touched+=("$n")
    elif ! node_alive "$n"; then launch_node "$n"; touched+=("$n")
    fi
  done
  # The nodes left alone serve already (the replica check below asks the cluster).
  for n in "${touched[@]}"; do wait_node "$deadline" "$n" || node_fail "$n"; done
  wait_isr "$deadline" || node_fail 1
  # Leaderships back on their preferred replicas, so that every node leads partitions and
  # coordinates groups again after restarts (Kafka's own rebalance waits 5 minutes).
  tool_stdout 30 leader-election --bootstrap-server "$(live_bootstrap)" --election-type PREFERRED \
    --all-topic-partitions >/dev/null || { WAIT_ERR="kafka-leader-election failed: $(tail -n 5 "$RUN/check.log")"; node_fail 1; }
  cluster_bootstrap_list >"$RUN/cluster_bootstrap.tmp" && mv "$RUN/cluster_bootstrap.tmp" "$RUN/cluster_bootstrap"
}

cmd_cluster_start() {
  [[ $# -eq 0 ]] || die "usage: $PROG cluster-start"
  lock_run
  cluster_up
  local owner=${KBP_KAFKA_CLUSTER_OWNER:-}
  if [[ -n $owner ]] && ! helper_alive cluster-owner; then
    [[ $owner =~ ^[0-9]+$ ]] && kill -0 "$owner" 2>/dev/null || die "KBP_KAFKA_CLUSTER_OWNER=$owner is not a live pid"
    # Waits for the owner's exit (tail --pid), then cleans the cluster up.
    # shellcheck disable=SC2016  # the inner shell's arguments
    KBP_KAFKA_RUN=$RUN KBP_KAFKA_CACHE=$CACHE spawn cluster-owner bash -c \
      'tail --pid="$1" -f /dev/null; exec bash "$2" cluster-stop --clean' \
      kbp-cluster-owner "$owner" "$SCRIPT_DIR/kafka.sh" "$RUN/"
  fi
  cat "$RUN/cluster_bootstrap"
}

cmd_cluster_stop() {
  local clean=0 n
  case ${1:-} in --clean) clean=1 ;; "") ;; *) die "usage: $PROG cluster-stop [--clean]" ;; esac
  [[ -d $RUN ]] || return 0
  lock_run
  rm -f "$RUN/cluster_bootstrap"
  # The owner's watcher, unless this is it (it ends in `exec ... cluster-stop --clean`).
  [[ $(cat "$RUN/cluster-owner.pid" 2>/dev/null) == "$$" ]] || stop_helper cluster-owner
  local sig=TERM
  # Data to be deleted needs no controlled shutdown.
  [[ $clean == 1 ]] && sig=KILL
  for n in "${CLUSTER_NODES[@]}"; do signal_node "$n" "$sig" & done
  wait
  if [[ $clean == 1 ]]; then
    for n in "${CLUSTER_NODES[@]}"; do rm -rf "${RUN:?}/node$n"; done
    rm -f "$RUN/cluster_ports"
  fi
}

# cmd_node VERB N
cmd_node() {
  local verb=$1 n=${2:-}
  check_node "$n" "$verb"
  [[ $# -eq 2 ]] || die "usage: $PROG node-$verb N"
  [[ -s $RUN/cluster_ports ]] || die "no cluster in $RUN (start one with '$PROG cluster-start')"
  lock_run
  case $verb in
    kill)   signal_node "$n" KILL ;;
    stop)   signal_node "$n" TERM ;;
    freeze) node_alive "$n" || die "node $n is not running"
            signal_node "$n" STOP ;;
    start|thaw)
            [[ $verb == thaw ]] && { node_alive "$n" || die "node $n is not running"; }
            if node_frozen "$n"; then kill -CONT "$(node_pid "$n")"
            elif ! node_alive "$n"; then write_node_properties "$n"; launch_node "$n"
            fi
            local deadline=$(( SECONDS + START_TIMEOUT ))
            wait_node "$deadline" "$n" || node_fail "$n"
            wait_isr "$deadline" || node_fail "$n" ;;
  esac
}

cmd_cluster_status() {
  local n all=0 port
  [[ -s $RUN/cluster_ports ]] || { echo "no cluster (run dir $RUN)"; return 1; }
  for n in "${CLUSTER_NODES[@]}"; do
    port=$(cluster_port plain "$n")
    if node_frozen "$n"; then echo "node$n frozen pid=$(node_pid "$n") bootstrap=127.0.0.1:$port"; all=1
    elif node_alive "$n" && port_open "$port"; then echo "node$n running pid=$(node_pid "$n") bootstrap=127.0.0.1:$port"
    elif node_alive "$n"; then echo "node$n not serving pid=$(node_pid "$n") bootstrap=127.0.0.1:$port"; all=1
    else echo "node$n stopped bootstrap=127.0.0.1:$port"; all=1
    fi
  done
  echo "run_dir=$RUN"
  return "$all"
}

# ---------------------------------------------------------------- subcommands

cmd_start() {
  local clean=0
  case ${1:-} in --clean) clean=1 ;; "") ;; *) die "usage: $PROG start [--clean]" ;; esac
  lock_run
  start_locked "$clean"
}

cmd_stop() {
  local clean=0
  case ${1:-} in --clean) clean=1 ;; "") ;; *) die "usage: $PROG stop [--clean]" ;; esac
  [[ -d $RUN ]] || return 0
  lock_run
  kill_broker
  stop_helper oidc
  stop_helper kdc
  rm -f "$RUN/bootstrap" "$RUN"/*_bootstrap "$RUN/metrics_url"
  if [[ $clean == 1 ]]; then
    rm -rf "$RUN/data" "$RUN/server.properties" "$RUN/client-sasl.properties" "$TLS" "$OIDC" "$RUN/oidc.log" "$KRB" "$RUN/kdc.log" \
           "$RUN"/server.log* "$RUN/stdout.log" "$RUN/format.log" "$RUN/check.log"
  fi
}

cmd_ensure() {
  if healthy; then cat "$RUN/bootstrap"; return 0; fi
  lock_run
  if healthy; then cat "$RUN/bootstrap"; return 0; fi
  # Alive but not answering (hung, or left half-started): replace it.
  pid_alive && kill_broker
  start_locked 0
}

cmd_status() {
  if healthy; then
    echo "running bootstrap=$(cat "$RUN/bootstrap") sasl_bootstrap=$(cat "$RUN/sasl_bootstrap" 2>/dev/null) pid=$(broker_pid) run_dir=$RUN"
    return 0
  fi
  if pid_alive; then
    echo "not running (pid $(broker_pid) is alive but not serving; run dir $RUN)"
  else
    echo "not running (run dir $RUN)"
  fi
  return 1
}

cmd_bootstrap() {
  healthy || die "no running broker in $RUN (start one with '$PROG ensure')"
  cat "$RUN/${1:-bootstrap}"
}

main() {
  [[ $# -ge 1 ]] || usage
  local sub=$1
  shift
  case $sub in
    fetch)          [[ $# -eq 0 ]] || die "usage: $PROG fetch"; cmd_fetch ;;
    start)          cmd_start "$@" ;;
    stop)           cmd_stop "$@" ;;
    ensure)         [[ $# -eq 0 ]] || die "usage: $PROG ensure"; cmd_ensure ;;
    status)         cmd_status ;;
    bootstrap)      cmd_bootstrap bootstrap ;;
    sasl-bootstrap) cmd_bootstrap sasl_bootstrap ;;
    ssl-bootstrap)  cmd_bootstrap ssl_bootstrap ;;
    mtls-bootstrap) cmd_bootstrap mtls_bootstrap ;;
    expired-bootstrap) cmd_bootstrap expired_bootstrap ;;
    sasl-ssl-bootstrap) cmd_bootstrap sasl_ssl_bootstrap ;;
    kerberos-bootstrap) cmd_bootstrap kerberos_bootstrap ;;
    krb5-dir)       healthy || die "no running broker in $RUN (start one with '$PROG ensure')"
                    echo "$KRB" ;;
    oidc-url)       healthy || die "no running broker in $RUN (start one with '$PROG ensure')"
                    echo "https://127.0.0.1:$(cat "$OIDC/https_port")/token" ;;
    oidc-dir)       healthy || die "no running broker in $RUN (start one with '$PROG ensure')"
                    echo "$OIDC" ;;
    tls-dir)        healthy || die "no running broker in $RUN (start one with '$PROG ensure')"
                    echo "$TLS" ;;
    metrics-url)    [[ -s $RUN/metrics_url ]] || die "no JMX exporter in $RUN (start the broker with KBP_KAFKA_JMX_EXPORTER=1)"
                    cmd_bootstrap metrics_url ;;
    tool)           cmd_tool "$@" ;;
    cluster-start)  cmd_cluster_start "$@" ;;
    cluster-stop)   cmd_cluster_stop "$@" ;;
    cluster-status) [[ $# -eq 0 ]] || die "usage: $PROG cluster-status"; cmd_cluster_status ;;
    cluster-bootstrap)
                    [[ -s $RUN/cluster_bootstrap ]] || die "no cluster in $RUN (start one with '$PROG cluster-start')"
                    cat "$RUN/cluster_bootstrap" ;;
    node-kill|node-stop|node-start|node-freeze|node-thaw)
                    cmd_node "${sub#node-}" "$@" ;;
    -h|--help|help) usage 0 ;;
    *)              echo "$PROG: error: unknown subcommand '$sub'" >&2; usage ;;
  esac
}

main "$@"
