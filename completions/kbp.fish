# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_kbp_global_optspecs
    string join \n b/bootstrap-server= context= config= X= timeout= v/verbose h/help V/version
end

function __fish_kbp_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_kbp_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_kbp_using_subcommand
    set -l cmd (__fish_kbp_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c kbp -n "__fish_kbp_needs_command" -s b -l bootstrap-server -d 'Bootstrap servers, comma-separated (overrides the context\'s)' -r
complete -c kbp -n "__fish_kbp_needs_command" -l context -d 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster' -r
complete -c kbp -n "__fish_kbp_needs_command" -l config -d 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]' -r -F
complete -c kbp -n "__fish_kbp_needs_command" -s X -d 'librdkafka property, repeatable (as kcat\'s -X), e.g. -X security.protocol=SSL' -r
complete -c kbp -n "__fish_kbp_needs_command" -l timeout -d 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]' -r
complete -c kbp -n "__fish_kbp_needs_command" -s v -l verbose -d 'Forward librdkafka\'s log lines to stderr (secrets redacted)'
complete -c kbp -n "__fish_kbp_needs_command" -s h -l help -d 'Print help'
complete -c kbp -n "__fish_kbp_needs_command" -s V -l version -d 'Print version'
complete -c kbp -n "__fish_kbp_needs_command" -f -a "lag" -d 'Show how far behind consumer groups are, per partition and per group'
complete -c kbp -n "__fish_kbp_needs_command" -f -a "diagnose" -d 'Find backpressure: sample groups and brokers over a window, say why and what to do'
complete -c kbp -n "__fish_kbp_needs_command" -f -a "brokers" -d 'Each broker\'s leaders, replicas, round-trip time and, with --metrics-url, its pressure'
complete -c kbp -n "__fish_kbp_needs_command" -f -a "drain" -d 'Clear a backlog safely: bounded, paused under backpressure, committing only what was processed'
complete -c kbp -n "__fish_kbp_needs_command" -f -a "offsets" -d 'Move, export, restore or delete committed offsets: a plan first, --execute to write, an undo file'
complete -c kbp -n "__fish_kbp_needs_command" -f -a "group" -d 'Delete consumer groups (empty ones): a plan first, --execute to delete, an undo file'
complete -c kbp -n "__fish_kbp_needs_command" -f -a "serve" -d 'Export lag, exact time lag and diagnose verdicts to Prometheus, refreshed in the background'
complete -c kbp -n "__fish_kbp_needs_command" -f -a "config" -d 'Inspect the configuration kbp would use'
complete -c kbp -n "__fish_kbp_needs_command" -f -a "demo" -d 'Play the backpressure story on an in-process mock cluster: nothing to install'
complete -c kbp -n "__fish_kbp_needs_command" -f -a "completions" -d 'Print a shell completion script (group and topic names: see `COMPLETE=bash kbp`)'
complete -c kbp -n "__fish_kbp_needs_command" -f -a "man" -d 'Print the man page (roff)'
complete -c kbp -n "__fish_kbp_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kbp -n "__fish_kbp_using_subcommand lag" -s g -l group -d 'Consumer group to inspect, repeatable (default: all groups)' -r
complete -c kbp -n "__fish_kbp_using_subcommand lag" -l group-regex -d 'Only groups whose name matches this regular expression (unanchored: ^billing$ for one name)' -r -f
complete -c kbp -n "__fish_kbp_using_subcommand lag" -l exclude-group-regex -d 'Leave out groups whose name matches this regular expression (after --group-regex)' -r -f
complete -c kbp -n "__fish_kbp_using_subcommand lag" -s t -l topic -d 'Only partitions of this topic, repeatable' -r
complete -c kbp -n "__fish_kbp_using_subcommand lag" -l topic-regex -d 'Only partitions of topics whose name matches this regular expression (unanchored); with --topic, partitions of either' -r -f
complete -c kbp -n "__fish_kbp_using_subcommand lag" -l state -d 'Only groups in this state, repeatable' -r -f -a "stable\t''
empty\t''
preparing-rebalance\t''
completing-rebalance\t''
dead\t''
unknown\t''"
complete -c kbp -n "__fish_kbp_using_subcommand lag" -s o -l output -d 'Output format [default: table]' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
csv\t''
prometheus\t''"
complete -c kbp -n "__fish_kbp_using_subcommand lag" -l fail-above -d 'Exit with code 1 when a group\'s total lag is above N records' -r
complete -c kbp -n "__fish_kbp_using_subcommand lag" -l fail-time-above -d 'Exit with code 1 when a group\'s time lag is above DURATION, e.g. 5m' -r
complete -c kbp -n "__fish_kbp_using_subcommand lag" -l watch -d 'Refresh every INTERVAL (5s when not given) until Ctrl-C: redrawn in place on a terminal, appended otherwise (one JSON object per line with -o json)' -r
complete -c kbp -n "__fish_kbp_using_subcommand lag" -l sort -d 'With --watch: groups and partitions by time lag, lag, lag growth rate, or name' -r -f -a "lag\t'Records behind, most first'
time-lag\t'Time lag, oldest first'
rate\t'How fast the lag grows (produce minus consume rate), fastest first'
name\t'Group, then topic and partition'"
complete -c kbp -n "__fish_kbp_using_subcommand lag" -l color -d 'With --watch: colour the verdicts (auto: on a terminal, unless NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kbp -n "__fish_kbp_using_subcommand lag" -s b -l bootstrap-server -d 'Bootstrap servers, comma-separated (overrides the context\'s)' -r
complete -c kbp -n "__fish_kbp_using_subcommand lag" -l context -d 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster' -r
complete -c kbp -n "__fish_kbp_using_subcommand lag" -l config -d 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand lag" -s X -d 'librdkafka property, repeatable (as kcat\'s -X), e.g. -X security.protocol=SSL' -r
complete -c kbp -n "__fish_kbp_using_subcommand lag" -l timeout -d 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]' -r
complete -c kbp -n "__fish_kbp_using_subcommand lag" -l all-groups -d 'Inspect every consumer group (the default when no --group is given)'
complete -c kbp -n "__fish_kbp_using_subcommand lag" -l only-with-lag -d 'Only rows whose lag is above zero'
complete -c kbp -n "__fish_kbp_using_subcommand lag" -l no-time-lag -d 'Skip reading records for TIME-LAG (faster, no per-partition fetches)'
complete -c kbp -n "__fish_kbp_using_subcommand lag" -s v -l verbose -d 'Forward librdkafka\'s log lines to stderr (secrets redacted)'
complete -c kbp -n "__fish_kbp_using_subcommand lag" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kbp -n "__fish_kbp_using_subcommand lag" -s V -l version -d 'Print version'
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -s g -l group -d 'Consumer group to inspect, repeatable (default: all groups)' -r
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -l group-regex -d 'Only groups whose name matches this regular expression (unanchored: ^billing$ for one name)' -r -f
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -l exclude-group-regex -d 'Leave out groups whose name matches this regular expression (after --group-regex)' -r -f
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -s t -l topic -d 'Only partitions of this topic, repeatable' -r
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -l topic-regex -d 'Only partitions of topics whose name matches this regular expression (unanchored); with --topic, partitions of either' -r -f
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -l window -d 'How long to watch the cluster (with --watch: the rolling window rates are measured over)' -r
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -l samples -d 'Samples taken over the window (2 to 10000)' -r
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -l fail-on -d 'Exit non-zero when the worst finding is at least this severe (1 warn, 7 crit)' -r -f -a "warn\t''
crit\t''
never\t''"
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -l metrics-url -d 'A broker\'s Prometheus endpoint, [BROKER-ID=]URL, repeatable (one per broker)' -r
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -l expect-brokers -d 'How many brokers the cluster should have (brokers down are reported)' -r
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -l metrics-ca -d 'PEM CA certificates the https --metrics-url endpoints are checked against (default: the system\'s)' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -l metrics-user -d 'User for the endpoints\' basic auth, with --metrics-password-env or --metrics-password-file' -r
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -l metrics-password-env -d 'The basic auth password, from this environment variable' -r
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -l metrics-password-file -d 'The basic auth password, from this file' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -l metrics-bearer-env -d 'A bearer token for the endpoints, from this environment variable' -r
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -l metrics-bearer-file -d 'A bearer token for the endpoints, from this file' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -s o -l output -d 'Output format: table, wide, json, yaml, csv (partitions) [default: table]' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
csv\t''
prometheus\t''"
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -l watch -d 'Refresh every INTERVAL (5s when not given) until Ctrl-C: redrawn in place on a terminal, appended otherwise (one JSON object per line with -o json)' -r
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -l sort -d 'With --watch: groups and partitions by time lag, lag, lag growth rate, or name' -r -f -a "lag\t'Records behind, most first'
time-lag\t'Time lag, oldest first'
rate\t'How fast the lag grows (produce minus consume rate), fastest first'
name\t'Group, then topic and partition'"
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -l color -d 'With --watch: colour the verdicts (auto: on a terminal, unless NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -s b -l bootstrap-server -d 'Bootstrap servers, comma-separated (overrides the context\'s)' -r
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -l context -d 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster' -r
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -l config -d 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -s X -d 'librdkafka property, repeatable (as kcat\'s -X), e.g. -X security.protocol=SSL' -r
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -l timeout -d 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]' -r
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -l all-groups -d 'Inspect every consumer group (the default when no --group is given)'
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -l once -d 'One snapshot, only the checks that need no history'
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -l no-time-lag -d 'Skip reading records for the exact time lag'
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -s v -l verbose -d 'Forward librdkafka\'s log lines to stderr (secrets redacted)'
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kbp -n "__fish_kbp_using_subcommand diagnose" -s V -l version -d 'Print version'
complete -c kbp -n "__fish_kbp_using_subcommand brokers" -l metrics-url -d 'A broker\'s Prometheus endpoint, [BROKER-ID=]URL, repeatable (one per broker)' -r
complete -c kbp -n "__fish_kbp_using_subcommand brokers" -l expect-brokers -d 'How many brokers the cluster should have (brokers down are reported)' -r
complete -c kbp -n "__fish_kbp_using_subcommand brokers" -l metrics-ca -d 'PEM CA certificates the https --metrics-url endpoints are checked against (default: the system\'s)' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand brokers" -l metrics-user -d 'User for the endpoints\' basic auth, with --metrics-password-env or --metrics-password-file' -r
complete -c kbp -n "__fish_kbp_using_subcommand brokers" -l metrics-password-env -d 'The basic auth password, from this environment variable' -r
complete -c kbp -n "__fish_kbp_using_subcommand brokers" -l metrics-password-file -d 'The basic auth password, from this file' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand brokers" -l metrics-bearer-env -d 'A bearer token for the endpoints, from this environment variable' -r
complete -c kbp -n "__fish_kbp_using_subcommand brokers" -l metrics-bearer-file -d 'A bearer token for the endpoints, from this file' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand brokers" -l window -d 'How long to measure round trips and metric rates' -r
complete -c kbp -n "__fish_kbp_using_subcommand brokers" -s o -l output -d 'Output format: table, wide, json, yaml, csv [default: table]' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
csv\t''
prometheus\t''"
complete -c kbp -n "__fish_kbp_using_subcommand brokers" -s b -l bootstrap-server -d 'Bootstrap servers, comma-separated (overrides the context\'s)' -r
complete -c kbp -n "__fish_kbp_using_subcommand brokers" -l context -d 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster' -r
complete -c kbp -n "__fish_kbp_using_subcommand brokers" -l config -d 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand brokers" -s X -d 'librdkafka property, repeatable (as kcat\'s -X), e.g. -X security.protocol=SSL' -r
complete -c kbp -n "__fish_kbp_using_subcommand brokers" -l timeout -d 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]' -r
complete -c kbp -n "__fish_kbp_using_subcommand brokers" -s v -l verbose -d 'Forward librdkafka\'s log lines to stderr (secrets redacted)'
complete -c kbp -n "__fish_kbp_using_subcommand brokers" -s h -l help -d 'Print help'
complete -c kbp -n "__fish_kbp_using_subcommand brokers" -s V -l version -d 'Print version'
complete -c kbp -n "__fish_kbp_using_subcommand drain" -s g -l group -d 'Consumer group to drain as (joins it)' -r
complete -c kbp -n "__fish_kbp_using_subcommand drain" -s t -l topic -d 'Topic to drain (an exact name), repeatable' -r
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l sink -d 'Destination: stdout, null, file:PATH, exec:CMD, pipe:CMD, topic:NAME[@CONTEXT]' -r
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l format -d 'Line format of stdout, file and pipe sinks (raw cannot be read back: see docs/drain.md)' -r -f -a "json\t'One JSON object per record'
raw\t'The raw value bytes, one record per line. Cannot be read back exactly: a tombstone and an empty value are both an empty line, and a value with a newline splits'
length-prefixed\t'Each value as its byte length (-1 for a tombstone) on a line, then the bytes and a newline: exact for any value'"
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l value-format -d 'How keys and values appear in JSON lines' -r -f -a "utf8\t'UTF-8 text; invalid bytes become U+FFFD'
base64\t'Base64 of the bytes'
json\t'Embedded JSON when the value parses as JSON, else a string'
raw\t'Array of byte values'"
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l workers -d 'Worker threads processing records (1 to 1024)' -r
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l ordering -d 'Order guarantee: per partition, per key, or none' -r -f -a "partition\t'Records of a partition one at a time, in offset order'
key\t'Records of a key in order; different keys of a partition in parallel'
unordered\t'Fully parallel'"
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l high-water -d 'Pause the assigned partitions when this many records are queued' -r
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l low-water -d 'Resume them when the queue is back to this many' -r
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l until -d 'Stop at: end (the log end captured at start), offset:N, offset:TOPIC/P=N,... (partitions not named are not drained), time:TIME (RFC 3339 with an offset, or epoch ms)' -r
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l max-records -d 'Stop after this many records' -r
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l idle -d 'Stop when no record arrived for this long, e.g. 30s' -r
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l from -d 'Where partitions without a commit start: committed (= earliest), earliest, latest, time:TIME (RFC 3339 with an offset, or epoch ms)' -r
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l rate -d 'At most this many records per second, e.g. 500/s or 6000/m' -r
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l retries -d 'Retries of a failed record before --on-failure applies (0 to 1000)' -r
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l backoff-initial -d 'First retry delay (exponential, full jitter)' -r
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l backoff-max -d 'Longest retry delay' -r
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l on-failure -d 'After the retries: stop, skip, or dlq:TOPIC' -r
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l commit-interval -d 'How often processed offsets are committed' -r
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l ack-timeout -d 'With --sink pipe: a child that acknowledges nothing for this long after it was sent a record is killed and started again, and its unacknowledged records are retried' -r
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l shutdown-timeout -d 'Bound on finishing in-flight work at shutdown and on revoke' -r
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l summary -d 'Final summary (and the --dry-run plan): text on stderr, or json on stdout' -r -f -a "text\t''
json\t''"
complete -c kbp -n "__fish_kbp_using_subcommand drain" -s b -l bootstrap-server -d 'Bootstrap servers, comma-separated (overrides the context\'s)' -r
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l context -d 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster' -r
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l config -d 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand drain" -s X -d 'librdkafka property, repeatable (as kcat\'s -X), e.g. -X security.protocol=SSL' -r
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l timeout -d 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]' -r
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l dry-run -d 'Print the plan (per partition: start, stop, records, time span) and exit; joins no group, runs no sink, commits nothing'
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l no-commit -d 'Process records through the sink, but commit nothing'
complete -c kbp -n "__fish_kbp_using_subcommand drain" -l join-live-group -d 'Join the group even when it has live members that are not kbp drains (they lose partitions to the drain while it runs)'
complete -c kbp -n "__fish_kbp_using_subcommand drain" -s q -l quiet -d 'No progress on stderr'
complete -c kbp -n "__fish_kbp_using_subcommand drain" -s v -l verbose -d 'Forward librdkafka\'s log lines to stderr (secrets redacted)'
complete -c kbp -n "__fish_kbp_using_subcommand drain" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kbp -n "__fish_kbp_using_subcommand drain" -s V -l version -d 'Print version'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and not __fish_seen_subcommand_from reset restore export delete help" -s b -l bootstrap-server -d 'Bootstrap servers, comma-separated (overrides the context\'s)' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and not __fish_seen_subcommand_from reset restore export delete help" -l context -d 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and not __fish_seen_subcommand_from reset restore export delete help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and not __fish_seen_subcommand_from reset restore export delete help" -s X -d 'librdkafka property, repeatable (as kcat\'s -X), e.g. -X security.protocol=SSL' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and not __fish_seen_subcommand_from reset restore export delete help" -l timeout -d 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and not __fish_seen_subcommand_from reset restore export delete help" -s v -l verbose -d 'Forward librdkafka\'s log lines to stderr (secrets redacted)'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and not __fish_seen_subcommand_from reset restore export delete help" -s h -l help -d 'Print help'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and not __fish_seen_subcommand_from reset restore export delete help" -s V -l version -d 'Print version'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and not __fish_seen_subcommand_from reset restore export delete help" -f -a "reset" -d 'Move committed offsets as kafka-consumer-groups --reset-offsets does: a plan, or with --execute the write (after saving the previous offsets to a restore file)'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and not __fish_seen_subcommand_from reset restore export delete help" -f -a "restore" -d 'Put back the offsets of restore files (or kafka-consumer-groups --export CSVs): the undo of a reset, with the same plan, guard and check'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and not __fish_seen_subcommand_from reset restore export delete help" -f -a "export" -d 'Print committed offsets as kafka-consumer-groups --export writes them (-o csv), or as json, yaml or a table'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and not __fish_seen_subcommand_from reset restore export delete help" -f -a "delete" -d 'Delete a group\'s commits on topics (OffsetDelete): a plan, or with --execute the delete (after saving them to a restore file)'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and not __fish_seen_subcommand_from reset restore export delete help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from reset" -s g -l group -d 'Consumer group, repeatable' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from reset" -l group-regex -d 'Every group whose name matches this regular expression (unanchored: ^billing$ for one name)' -r -f
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from reset" -s t -l topic -d 'Topic, or TOPIC:P,P... for some of its partitions, repeatable (default: every partition the group has committed)' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from reset" -l to-offset -d 'To offset N (clamped into the log)' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from reset" -l shift-by -d 'By N from the committed offset, e.g. -100 (read again) or 100 (skip); clamped' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from reset" -l to-datetime -d 'To the first record at or after TIME (RFC 3339 with an offset, or epoch ms); the log end where none is that late' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from reset" -l by-duration -d 'To the first record of the last DURATION, e.g. 2h, 1d, PT2H' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from reset" -l from-file -d 'To the offsets of a kafka-consumer-groups --export CSV (topic,partition,offset for one --group; group,topic,partition,offset); clamped' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from reset" -l restore-dir -d 'Directory for restore files [default: $XDG_STATE_HOME/kbp, else ~/.local/state/kbp]' -r -f -a "(__fish_complete_directories)"
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from reset" -s o -l output -d 'Output format: table, wide, json, yaml, csv [default: table]' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
csv\t''
prometheus\t''"
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from reset" -s b -l bootstrap-server -d 'Bootstrap servers, comma-separated (overrides the context\'s)' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from reset" -l context -d 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from reset" -l config -d 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from reset" -s X -d 'librdkafka property, repeatable (as kcat\'s -X), e.g. -X security.protocol=SSL' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from reset" -l timeout -d 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from reset" -l to-earliest -d 'To the log start (the oldest record kept)'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from reset" -l to-latest -d 'To the log end (skip everything written so far)'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from reset" -l to-current -d 'To the committed offset; the log end where there is none'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from reset" -l execute -d 'Write: save the previous offsets to a restore file, write, read back and check. Without it, print the plan and change nothing'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from reset" -l force -d 'With --execute: write even to a group with live members, or one kbp cannot describe (Kafka answers UNKNOWN_MEMBER_ID while members are in; they overwrite what a server takes)'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from reset" -s v -l verbose -d 'Forward librdkafka\'s log lines to stderr (secrets redacted)'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from reset" -s h -l help -d 'Print help'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from reset" -s V -l version -d 'Print version'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from restore" -s g -l group -d 'Only this group\'s rows; the group of a file without a group column (topic,partition,offset)' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from restore" -l restore-dir -d 'Directory for restore files [default: $XDG_STATE_HOME/kbp, else ~/.local/state/kbp]' -r -f -a "(__fish_complete_directories)"
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from restore" -s o -l output -d 'Output format: table, wide, json, yaml, csv [default: table]' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
csv\t''
prometheus\t''"
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from restore" -s b -l bootstrap-server -d 'Bootstrap servers, comma-separated (overrides the context\'s)' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from restore" -l context -d 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from restore" -l config -d 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from restore" -s X -d 'librdkafka property, repeatable (as kcat\'s -X), e.g. -X security.protocol=SSL' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from restore" -l timeout -d 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from restore" -l execute -d 'Write: save the previous offsets to a restore file, write, read back and check. Without it, print the plan and change nothing'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from restore" -l force -d 'With --execute: write even to a group with live members'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from restore" -s v -l verbose -d 'Forward librdkafka\'s log lines to stderr (secrets redacted)'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from restore" -s h -l help -d 'Print help'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from restore" -s V -l version -d 'Print version'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from export" -s g -l group -d 'Consumer group, repeatable' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from export" -l group-regex -d 'Every group whose name matches this regular expression (unanchored: ^billing$ for one name)' -r -f
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from export" -s t -l topic -d 'Only this topic, or TOPIC:P,P..., repeatable' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from export" -s o -l output -d 'Output format: csv (kafka-consumer-groups --export: no header, a group column for several groups), json, yaml, table [default: csv]' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
csv\t''
prometheus\t''"
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from export" -s b -l bootstrap-server -d 'Bootstrap servers, comma-separated (overrides the context\'s)' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from export" -l context -d 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from export" -l config -d 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from export" -s X -d 'librdkafka property, repeatable (as kcat\'s -X), e.g. -X security.protocol=SSL' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from export" -l timeout -d 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from export" -s v -l verbose -d 'Forward librdkafka\'s log lines to stderr (secrets redacted)'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from export" -s V -l version -d 'Print version'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from delete" -s g -l group -d 'Consumer group, repeatable' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from delete" -l group-regex -d 'Every group whose name matches this regular expression (unanchored: ^billing$ for one name)' -r -f
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from delete" -s t -l topic -d 'Topic, or TOPIC:P,P... for some of its partitions, repeatable' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from delete" -l restore-dir -d 'Directory for restore files [default: $XDG_STATE_HOME/kbp, else ~/.local/state/kbp]' -r -f -a "(__fish_complete_directories)"
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from delete" -s o -l output -d 'Output format: table, wide, json, yaml, csv [default: table]' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
csv\t''
prometheus\t''"
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from delete" -s b -l bootstrap-server -d 'Bootstrap servers, comma-separated (overrides the context\'s)' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from delete" -l context -d 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from delete" -l config -d 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from delete" -s X -d 'librdkafka property, repeatable (as kcat\'s -X), e.g. -X security.protocol=SSL' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from delete" -l timeout -d 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]' -r
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from delete" -l execute -d 'Write: save the previous offsets to a restore file, write, read back and check. Without it, print the plan and change nothing'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from delete" -l force -d 'With --execute: delete even for a group with live members (Kafka refuses it for topics they read)'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from delete" -s v -l verbose -d 'Forward librdkafka\'s log lines to stderr (secrets redacted)'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from delete" -s V -l version -d 'Print version'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from help" -f -a "reset" -d 'Move committed offsets as kafka-consumer-groups --reset-offsets does: a plan, or with --execute the write (after saving the previous offsets to a restore file)'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from help" -f -a "restore" -d 'Put back the offsets of restore files (or kafka-consumer-groups --export CSVs): the undo of a reset, with the same plan, guard and check'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from help" -f -a "export" -d 'Print committed offsets as kafka-consumer-groups --export writes them (-o csv), or as json, yaml or a table'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete a group\'s commits on topics (OffsetDelete): a plan, or with --execute the delete (after saving them to a restore file)'
complete -c kbp -n "__fish_kbp_using_subcommand offsets; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kbp -n "__fish_kbp_using_subcommand group; and not __fish_seen_subcommand_from delete help" -s b -l bootstrap-server -d 'Bootstrap servers, comma-separated (overrides the context\'s)' -r
complete -c kbp -n "__fish_kbp_using_subcommand group; and not __fish_seen_subcommand_from delete help" -l context -d 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster' -r
complete -c kbp -n "__fish_kbp_using_subcommand group; and not __fish_seen_subcommand_from delete help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand group; and not __fish_seen_subcommand_from delete help" -s X -d 'librdkafka property, repeatable (as kcat\'s -X), e.g. -X security.protocol=SSL' -r
complete -c kbp -n "__fish_kbp_using_subcommand group; and not __fish_seen_subcommand_from delete help" -l timeout -d 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]' -r
complete -c kbp -n "__fish_kbp_using_subcommand group; and not __fish_seen_subcommand_from delete help" -s v -l verbose -d 'Forward librdkafka\'s log lines to stderr (secrets redacted)'
complete -c kbp -n "__fish_kbp_using_subcommand group; and not __fish_seen_subcommand_from delete help" -s h -l help -d 'Print help'
complete -c kbp -n "__fish_kbp_using_subcommand group; and not __fish_seen_subcommand_from delete help" -s V -l version -d 'Print version'
complete -c kbp -n "__fish_kbp_using_subcommand group; and not __fish_seen_subcommand_from delete help" -f -a "delete" -d 'Delete consumer groups and their commits (Kafka deletes only groups without members): a plan, or with --execute the delete (after saving the commits to a restore file)'
complete -c kbp -n "__fish_kbp_using_subcommand group; and not __fish_seen_subcommand_from delete help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kbp -n "__fish_kbp_using_subcommand group; and __fish_seen_subcommand_from delete" -l restore-dir -d 'Directory for restore files [default: $XDG_STATE_HOME/kbp, else ~/.local/state/kbp]' -r -f -a "(__fish_complete_directories)"
complete -c kbp -n "__fish_kbp_using_subcommand group; and __fish_seen_subcommand_from delete" -s o -l output -d 'Output format: table, wide, json, yaml, csv [default: table]' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''
csv\t''
prometheus\t''"
complete -c kbp -n "__fish_kbp_using_subcommand group; and __fish_seen_subcommand_from delete" -s b -l bootstrap-server -d 'Bootstrap servers, comma-separated (overrides the context\'s)' -r
complete -c kbp -n "__fish_kbp_using_subcommand group; and __fish_seen_subcommand_from delete" -l context -d 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster' -r
complete -c kbp -n "__fish_kbp_using_subcommand group; and __fish_seen_subcommand_from delete" -l config -d 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand group; and __fish_seen_subcommand_from delete" -s X -d 'librdkafka property, repeatable (as kcat\'s -X), e.g. -X security.protocol=SSL' -r
complete -c kbp -n "__fish_kbp_using_subcommand group; and __fish_seen_subcommand_from delete" -l timeout -d 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]' -r
complete -c kbp -n "__fish_kbp_using_subcommand group; and __fish_seen_subcommand_from delete" -l execute -d 'Write: save the previous offsets to a restore file, write, read back and check. Without it, print the plan and change nothing'
complete -c kbp -n "__fish_kbp_using_subcommand group; and __fish_seen_subcommand_from delete" -s v -l verbose -d 'Forward librdkafka\'s log lines to stderr (secrets redacted)'
complete -c kbp -n "__fish_kbp_using_subcommand group; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c kbp -n "__fish_kbp_using_subcommand group; and __fish_seen_subcommand_from delete" -s V -l version -d 'Print version'
complete -c kbp -n "__fish_kbp_using_subcommand group; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete consumer groups and their commits (Kafka deletes only groups without members): a plan, or with --execute the delete (after saving the commits to a restore file)'
complete -c kbp -n "__fish_kbp_using_subcommand group; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kbp -n "__fish_kbp_using_subcommand serve" -s g -l group -d 'Consumer group to inspect, repeatable (default: all groups)' -r
complete -c kbp -n "__fish_kbp_using_subcommand serve" -l group-regex -d 'Only groups whose name matches this regular expression (unanchored: ^billing$ for one name)' -r -f
complete -c kbp -n "__fish_kbp_using_subcommand serve" -l exclude-group-regex -d 'Leave out groups whose name matches this regular expression (after --group-regex)' -r -f
complete -c kbp -n "__fish_kbp_using_subcommand serve" -s t -l topic -d 'Only partitions of this topic, repeatable' -r
complete -c kbp -n "__fish_kbp_using_subcommand serve" -l topic-regex -d 'Only partitions of topics whose name matches this regular expression (unanchored); with --topic, partitions of either' -r -f
complete -c kbp -n "__fish_kbp_using_subcommand serve" -l listen -d 'Address for /metrics, /healthz and /readyz (port 0: any free port, printed on start)' -r
complete -c kbp -n "__fish_kbp_using_subcommand serve" -l interval -d 'How often each cluster is read (at least 1s); scrapes answer from the last refresh' -r
complete -c kbp -n "__fish_kbp_using_subcommand serve" -l window -d 'The span the verdicts, rates and ETA judge (as kbp diagnose --window); at least 2 x --interval' -r
complete -c kbp -n "__fish_kbp_using_subcommand serve" -l time-lag-reread -d 'A record timestamp read for time lag is reused while the group stays at it, and read again after this long (up to twice as long, spread by partition); 0s reads every one at every refresh' -r
complete -c kbp -n "__fish_kbp_using_subcommand serve" -l web-config -d 'TLS and basic auth, in the web config format of Prometheus\' exporters (tls_server_config, basic_auth_users with bcrypt hashes; docs/metrics.md)' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand serve" -s b -l bootstrap-server -d 'Bootstrap servers, comma-separated (overrides the context\'s)' -r
complete -c kbp -n "__fish_kbp_using_subcommand serve" -l context -d 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster' -r
complete -c kbp -n "__fish_kbp_using_subcommand serve" -l config -d 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand serve" -s X -d 'librdkafka property, repeatable (as kcat\'s -X), e.g. -X security.protocol=SSL' -r
complete -c kbp -n "__fish_kbp_using_subcommand serve" -l timeout -d 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]' -r
complete -c kbp -n "__fish_kbp_using_subcommand serve" -l all-groups -d 'Inspect every consumer group (the default when no --group is given)'
complete -c kbp -n "__fish_kbp_using_subcommand serve" -l no-time-lag -d 'Skip reading records for the time lag metrics (faster, no per-partition fetches)'
complete -c kbp -n "__fish_kbp_using_subcommand serve" -s v -l verbose -d 'Forward librdkafka\'s log lines to stderr (secrets redacted)'
complete -c kbp -n "__fish_kbp_using_subcommand serve" -s h -l help -d 'Print help'
complete -c kbp -n "__fish_kbp_using_subcommand serve" -s V -l version -d 'Print version'
complete -c kbp -n "__fish_kbp_using_subcommand config; and not __fish_seen_subcommand_from view contexts help" -s b -l bootstrap-server -d 'Bootstrap servers, comma-separated (overrides the context\'s)' -r
complete -c kbp -n "__fish_kbp_using_subcommand config; and not __fish_seen_subcommand_from view contexts help" -l context -d 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster' -r
complete -c kbp -n "__fish_kbp_using_subcommand config; and not __fish_seen_subcommand_from view contexts help" -l config -d 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand config; and not __fish_seen_subcommand_from view contexts help" -s X -d 'librdkafka property, repeatable (as kcat\'s -X), e.g. -X security.protocol=SSL' -r
complete -c kbp -n "__fish_kbp_using_subcommand config; and not __fish_seen_subcommand_from view contexts help" -l timeout -d 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]' -r
complete -c kbp -n "__fish_kbp_using_subcommand config; and not __fish_seen_subcommand_from view contexts help" -s v -l verbose -d 'Forward librdkafka\'s log lines to stderr (secrets redacted)'
complete -c kbp -n "__fish_kbp_using_subcommand config; and not __fish_seen_subcommand_from view contexts help" -s h -l help -d 'Print help'
complete -c kbp -n "__fish_kbp_using_subcommand config; and not __fish_seen_subcommand_from view contexts help" -s V -l version -d 'Print version'
complete -c kbp -n "__fish_kbp_using_subcommand config; and not __fish_seen_subcommand_from view contexts help" -f -a "view" -d 'Print the merged effective settings, secrets redacted'
complete -c kbp -n "__fish_kbp_using_subcommand config; and not __fish_seen_subcommand_from view contexts help" -f -a "contexts" -d 'List the contexts of the config file'
complete -c kbp -n "__fish_kbp_using_subcommand config; and not __fish_seen_subcommand_from view contexts help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kbp -n "__fish_kbp_using_subcommand config; and __fish_seen_subcommand_from view" -s o -l output -r -f -a "json\t''
yaml\t''"
complete -c kbp -n "__fish_kbp_using_subcommand config; and __fish_seen_subcommand_from view" -s b -l bootstrap-server -d 'Bootstrap servers, comma-separated (overrides the context\'s)' -r
complete -c kbp -n "__fish_kbp_using_subcommand config; and __fish_seen_subcommand_from view" -l context -d 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster' -r
complete -c kbp -n "__fish_kbp_using_subcommand config; and __fish_seen_subcommand_from view" -l config -d 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand config; and __fish_seen_subcommand_from view" -s X -d 'librdkafka property, repeatable (as kcat\'s -X), e.g. -X security.protocol=SSL' -r
complete -c kbp -n "__fish_kbp_using_subcommand config; and __fish_seen_subcommand_from view" -l timeout -d 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]' -r
complete -c kbp -n "__fish_kbp_using_subcommand config; and __fish_seen_subcommand_from view" -s v -l verbose -d 'Forward librdkafka\'s log lines to stderr (secrets redacted)'
complete -c kbp -n "__fish_kbp_using_subcommand config; and __fish_seen_subcommand_from view" -s h -l help -d 'Print help'
complete -c kbp -n "__fish_kbp_using_subcommand config; and __fish_seen_subcommand_from view" -s V -l version -d 'Print version'
complete -c kbp -n "__fish_kbp_using_subcommand config; and __fish_seen_subcommand_from contexts" -s o -l output -r -f -a "table\t''
json\t''
yaml\t''
csv\t''"
complete -c kbp -n "__fish_kbp_using_subcommand config; and __fish_seen_subcommand_from contexts" -s b -l bootstrap-server -d 'Bootstrap servers, comma-separated (overrides the context\'s)' -r
complete -c kbp -n "__fish_kbp_using_subcommand config; and __fish_seen_subcommand_from contexts" -l context -d 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster' -r
complete -c kbp -n "__fish_kbp_using_subcommand config; and __fish_seen_subcommand_from contexts" -l config -d 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand config; and __fish_seen_subcommand_from contexts" -s X -d 'librdkafka property, repeatable (as kcat\'s -X), e.g. -X security.protocol=SSL' -r
complete -c kbp -n "__fish_kbp_using_subcommand config; and __fish_seen_subcommand_from contexts" -l timeout -d 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]' -r
complete -c kbp -n "__fish_kbp_using_subcommand config; and __fish_seen_subcommand_from contexts" -s v -l verbose -d 'Forward librdkafka\'s log lines to stderr (secrets redacted)'
complete -c kbp -n "__fish_kbp_using_subcommand config; and __fish_seen_subcommand_from contexts" -s h -l help -d 'Print help'
complete -c kbp -n "__fish_kbp_using_subcommand config; and __fish_seen_subcommand_from contexts" -s V -l version -d 'Print version'
complete -c kbp -n "__fish_kbp_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "view" -d 'Print the merged effective settings, secrets redacted'
complete -c kbp -n "__fish_kbp_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "contexts" -d 'List the contexts of the config file'
complete -c kbp -n "__fish_kbp_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kbp -n "__fish_kbp_using_subcommand demo" -l speed -d 'Pace of the story: 2 plays it twice as fast (rates doubled, waits halved)' -r
complete -c kbp -n "__fish_kbp_using_subcommand demo" -s b -l bootstrap-server -d 'Bootstrap servers, comma-separated (overrides the context\'s)' -r
complete -c kbp -n "__fish_kbp_using_subcommand demo" -l context -d 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster' -r
complete -c kbp -n "__fish_kbp_using_subcommand demo" -l config -d 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand demo" -s X -d 'librdkafka property, repeatable (as kcat\'s -X), e.g. -X security.protocol=SSL' -r
complete -c kbp -n "__fish_kbp_using_subcommand demo" -l timeout -d 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]' -r
complete -c kbp -n "__fish_kbp_using_subcommand demo" -l serve -d 'Keep the mock cluster (and its traffic) up, print its address, wait for Ctrl-C'
complete -c kbp -n "__fish_kbp_using_subcommand demo" -s v -l verbose -d 'Forward librdkafka\'s log lines to stderr (secrets redacted)'
complete -c kbp -n "__fish_kbp_using_subcommand demo" -s h -l help -d 'Print help'
complete -c kbp -n "__fish_kbp_using_subcommand demo" -s V -l version -d 'Print version'
complete -c kbp -n "__fish_kbp_using_subcommand completions" -s b -l bootstrap-server -d 'Bootstrap servers, comma-separated (overrides the context\'s)' -r
complete -c kbp -n "__fish_kbp_using_subcommand completions" -l context -d 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster' -r
complete -c kbp -n "__fish_kbp_using_subcommand completions" -l config -d 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand completions" -s X -d 'librdkafka property, repeatable (as kcat\'s -X), e.g. -X security.protocol=SSL' -r
complete -c kbp -n "__fish_kbp_using_subcommand completions" -l timeout -d 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]' -r
complete -c kbp -n "__fish_kbp_using_subcommand completions" -s v -l verbose -d 'Forward librdkafka\'s log lines to stderr (secrets redacted)'
complete -c kbp -n "__fish_kbp_using_subcommand completions" -s h -l help -d 'Print help'
complete -c kbp -n "__fish_kbp_using_subcommand completions" -s V -l version -d 'Print version'
complete -c kbp -n "__fish_kbp_using_subcommand man" -s b -l bootstrap-server -d 'Bootstrap servers, comma-separated (overrides the context\'s)' -r
complete -c kbp -n "__fish_kbp_using_subcommand man" -l context -d 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster' -r
complete -c kbp -n "__fish_kbp_using_subcommand man" -l config -d 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]' -r -F
complete -c kbp -n "__fish_kbp_using_subcommand man" -s X -d 'librdkafka property, repeatable (as kcat\'s -X), e.g. -X security.protocol=SSL' -r
complete -c kbp -n "__fish_kbp_using_subcommand man" -l timeout -d 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]' -r
complete -c kbp -n "__fish_kbp_using_subcommand man" -s v -l verbose -d 'Forward librdkafka\'s log lines to stderr (secrets redacted)'
complete -c kbp -n "__fish_kbp_using_subcommand man" -s h -l help -d 'Print help'
complete -c kbp -n "__fish_kbp_using_subcommand man" -s V -l version -d 'Print version'
complete -c kbp -n "__fish_kbp_using_subcommand help; and not __fish_seen_subcommand_from lag diagnose brokers drain offsets group serve config demo completions man help" -f -a "lag" -d 'Show how far behind consumer groups are, per partition and per group'
complete -c kbp -n "__fish_kbp_using_subcommand help; and not __fish_seen_subcommand_from lag diagnose brokers drain offsets group serve config demo completions man help" -f -a "diagnose" -d 'Find backpressure: sample groups and brokers over a window, say why and what to do'
complete -c kbp -n "__fish_kbp_using_subcommand help; and not __fish_seen_subcommand_from lag diagnose brokers drain offsets group serve config demo completions man help" -f -a "brokers" -d 'Each broker\'s leaders, replicas, round-trip time and, with --metrics-url, its pressure'
complete -c kbp -n "__fish_kbp_using_subcommand help; and not __fish_seen_subcommand_from lag diagnose brokers drain offsets group serve config demo completions man help" -f -a "drain" -d 'Clear a backlog safely: bounded, paused under backpressure, committing only what was processed'
complete -c kbp -n "__fish_kbp_using_subcommand help; and not __fish_seen_subcommand_from lag diagnose brokers drain offsets group serve config demo completions man help" -f -a "offsets" -d 'Move, export, restore or delete committed offsets: a plan first, --execute to write, an undo file'
complete -c kbp -n "__fish_kbp_using_subcommand help; and not __fish_seen_subcommand_from lag diagnose brokers drain offsets group serve config demo completions man help" -f -a "group" -d 'Delete consumer groups (empty ones): a plan first, --execute to delete, an undo file'
complete -c kbp -n "__fish_kbp_using_subcommand help; and not __fish_seen_subcommand_from lag diagnose brokers drain offsets group serve config demo completions man help" -f -a "serve" -d 'Export lag, exact time lag and diagnose verdicts to Prometheus, refreshed in the background'
complete -c kbp -n "__fish_kbp_using_subcommand help; and not __fish_seen_subcommand_from lag diagnose brokers drain offsets group serve config demo completions man help" -f -a "config" -d 'Inspect the configuration kbp would use'
complete -c kbp -n "__fish_kbp_using_subcommand help; and not __fish_seen_subcommand_from lag diagnose brokers drain offsets group serve config demo completions man help" -f -a "demo" -d 'Play the backpressure story on an in-process mock cluster: nothing to install'
complete -c kbp -n "__fish_kbp_using_subcommand help; and not __fish_seen_subcommand_from lag diagnose brokers drain offsets group serve config demo completions man help" -f -a "completions" -d 'Print a shell completion script (group and topic names: see `COMPLETE=bash kbp`)'
complete -c kbp -n "__fish_kbp_using_subcommand help; and not __fish_seen_subcommand_from lag diagnose brokers drain offsets group serve config demo completions man help" -f -a "man" -d 'Print the man page (roff)'
complete -c kbp -n "__fish_kbp_using_subcommand help; and not __fish_seen_subcommand_from lag diagnose brokers drain offsets group serve config demo completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kbp -n "__fish_kbp_using_subcommand help; and __fish_seen_subcommand_from offsets" -f -a "reset" -d 'Move committed offsets as kafka-consumer-groups --reset-offsets does: a plan, or with --execute the write (after saving the previous offsets to a restore file)'
complete -c kbp -n "__fish_kbp_using_subcommand help; and __fish_seen_subcommand_from offsets" -f -a "restore" -d 'Put back the offsets of restore files (or kafka-consumer-groups --export CSVs): the undo of a reset, with the same plan, guard and check'
complete -c kbp -n "__fish_kbp_using_subcommand help; and __fish_seen_subcommand_from offsets" -f -a "export" -d 'Print committed offsets as kafka-consumer-groups --export writes them (-o csv), or as json, yaml or a table'
complete -c kbp -n "__fish_kbp_using_subcommand help; and __fish_seen_subcommand_from offsets" -f -a "delete" -d 'Delete a group\'s commits on topics (OffsetDelete): a plan, or with --execute the delete (after saving them to a restore file)'
complete -c kbp -n "__fish_kbp_using_subcommand help; and __fish_seen_subcommand_from group" -f -a "delete" -d 'Delete consumer groups and their commits (Kafka deletes only groups without members): a plan, or with --execute the delete (after saving the commits to a restore file)'
complete -c kbp -n "__fish_kbp_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "view" -d 'Print the merged effective settings, secrets redacted'
complete -c kbp -n "__fish_kbp_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "contexts" -d 'List the contexts of the config file'
