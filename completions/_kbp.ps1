
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'kbp' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'kbp'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'kbp' {
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('lag', 'lag', [CompletionResultType]::ParameterValue, 'Show how far behind consumer groups are, per partition and per group')
            [CompletionResult]::new('diagnose', 'diagnose', [CompletionResultType]::ParameterValue, 'Find backpressure: sample groups and brokers over a window, say why and what to do')
            [CompletionResult]::new('brokers', 'brokers', [CompletionResultType]::ParameterValue, 'Each broker''s leaders, replicas, round-trip time and, with --metrics-url, its pressure')
            [CompletionResult]::new('drain', 'drain', [CompletionResultType]::ParameterValue, 'Clear a backlog safely: bounded, paused under backpressure, committing only what was processed')
            [CompletionResult]::new('offsets', 'offsets', [CompletionResultType]::ParameterValue, 'Move, export, restore or delete committed offsets: a plan first, --execute to write, an undo file')
            [CompletionResult]::new('group', 'group', [CompletionResultType]::ParameterValue, 'Delete consumer groups (empty ones): a plan first, --execute to delete, an undo file')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Export lag, exact time lag and diagnose verdicts to Prometheus, refreshed in the background')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Inspect the configuration kbp would use')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Play the backpressure story on an in-process mock cluster: nothing to install')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (group and topic names: see `COMPLETE=bash kbp`)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kbp;lag' {
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Consumer group to inspect, repeatable (default: all groups)')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Consumer group to inspect, repeatable (default: all groups)')
            [CompletionResult]::new('--group-regex', '--group-regex', [CompletionResultType]::ParameterName, 'Only groups whose name matches this regular expression (unanchored: ^billing$ for one name)')
            [CompletionResult]::new('--exclude-group-regex', '--exclude-group-regex', [CompletionResultType]::ParameterName, 'Leave out groups whose name matches this regular expression (after --group-regex)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Only partitions of this topic, repeatable')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Only partitions of this topic, repeatable')
            [CompletionResult]::new('--topic-regex', '--topic-regex', [CompletionResultType]::ParameterName, 'Only partitions of topics whose name matches this regular expression (unanchored); with --topic, partitions of either')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'Only groups in this state, repeatable')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format [default: table]')
            [CompletionResult]::new('--fail-above', '--fail-above', [CompletionResultType]::ParameterName, 'Exit with code 1 when a group''s total lag is above N records')
            [CompletionResult]::new('--fail-time-above', '--fail-time-above', [CompletionResultType]::ParameterName, 'Exit with code 1 when a group''s time lag is above DURATION, e.g. 5m')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Refresh every INTERVAL (5s when not given) until Ctrl-C: redrawn in place on a terminal, appended otherwise (one JSON object per line with -o json)')
            [CompletionResult]::new('--sort', '--sort', [CompletionResultType]::ParameterName, 'With --watch: groups and partitions by time lag, lag, lag growth rate, or name')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'With --watch: colour the verdicts (auto: on a terminal, unless NO_COLOR is set)')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]')
            [CompletionResult]::new('--all-groups', '--all-groups', [CompletionResultType]::ParameterName, 'Inspect every consumer group (the default when no --group is given)')
            [CompletionResult]::new('--only-with-lag', '--only-with-lag', [CompletionResultType]::ParameterName, 'Only rows whose lag is above zero')
            [CompletionResult]::new('--no-time-lag', '--no-time-lag', [CompletionResultType]::ParameterName, 'Skip reading records for TIME-LAG (faster, no per-partition fetches)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kbp;diagnose' {
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Consumer group to inspect, repeatable (default: all groups)')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Consumer group to inspect, repeatable (default: all groups)')
            [CompletionResult]::new('--group-regex', '--group-regex', [CompletionResultType]::ParameterName, 'Only groups whose name matches this regular expression (unanchored: ^billing$ for one name)')
            [CompletionResult]::new('--exclude-group-regex', '--exclude-group-regex', [CompletionResultType]::ParameterName, 'Leave out groups whose name matches this regular expression (after --group-regex)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Only partitions of this topic, repeatable')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Only partitions of this topic, repeatable')
            [CompletionResult]::new('--topic-regex', '--topic-regex', [CompletionResultType]::ParameterName, 'Only partitions of topics whose name matches this regular expression (unanchored); with --topic, partitions of either')
            [CompletionResult]::new('--window', '--window', [CompletionResultType]::ParameterName, 'How long to watch the cluster (with --watch: the rolling window rates are measured over)')
            [CompletionResult]::new('--samples', '--samples', [CompletionResultType]::ParameterName, 'Samples taken over the window (2 to 10000)')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Exit non-zero when the worst finding is at least this severe (1 warn, 7 crit)')
            [CompletionResult]::new('--metrics-url', '--metrics-url', [CompletionResultType]::ParameterName, 'A broker''s Prometheus endpoint, [BROKER-ID=]URL, repeatable (one per broker)')
            [CompletionResult]::new('--expect-brokers', '--expect-brokers', [CompletionResultType]::ParameterName, 'How many brokers the cluster should have (brokers down are reported)')
            [CompletionResult]::new('--metrics-ca', '--metrics-ca', [CompletionResultType]::ParameterName, 'PEM CA certificates the https --metrics-url endpoints are checked against (default: the system''s)')
            [CompletionResult]::new('--metrics-user', '--metrics-user', [CompletionResultType]::ParameterName, 'User for the endpoints'' basic auth, with --metrics-password-env or --metrics-password-file')
            [CompletionResult]::new('--metrics-password-env', '--metrics-password-env', [CompletionResultType]::ParameterName, 'The basic auth password, from this environment variable')
            [CompletionResult]::new('--metrics-password-file', '--metrics-password-file', [CompletionResultType]::ParameterName, 'The basic auth password, from this file')
            [CompletionResult]::new('--metrics-bearer-env', '--metrics-bearer-env', [CompletionResultType]::ParameterName, 'A bearer token for the endpoints, from this environment variable')
            [CompletionResult]::new('--metrics-bearer-file', '--metrics-bearer-file', [CompletionResultType]::ParameterName, 'A bearer token for the endpoints, from this file')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, csv (partitions) [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, csv (partitions) [default: table]')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Refresh every INTERVAL (5s when not given) until Ctrl-C: redrawn in place on a terminal, appended otherwise (one JSON object per line with -o json)')
            [CompletionResult]::new('--sort', '--sort', [CompletionResultType]::ParameterName, 'With --watch: groups and partitions by time lag, lag, lag growth rate, or name')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'With --watch: colour the verdicts (auto: on a terminal, unless NO_COLOR is set)')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]')
            [CompletionResult]::new('--all-groups', '--all-groups', [CompletionResultType]::ParameterName, 'Inspect every consumer group (the default when no --group is given)')
            [CompletionResult]::new('--once', '--once', [CompletionResultType]::ParameterName, 'One snapshot, only the checks that need no history')
            [CompletionResult]::new('--no-time-lag', '--no-time-lag', [CompletionResultType]::ParameterName, 'Skip reading records for the exact time lag')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kbp;brokers' {
            [CompletionResult]::new('--metrics-url', '--metrics-url', [CompletionResultType]::ParameterName, 'A broker''s Prometheus endpoint, [BROKER-ID=]URL, repeatable (one per broker)')
            [CompletionResult]::new('--expect-brokers', '--expect-brokers', [CompletionResultType]::ParameterName, 'How many brokers the cluster should have (brokers down are reported)')
            [CompletionResult]::new('--metrics-ca', '--metrics-ca', [CompletionResultType]::ParameterName, 'PEM CA certificates the https --metrics-url endpoints are checked against (default: the system''s)')
            [CompletionResult]::new('--metrics-user', '--metrics-user', [CompletionResultType]::ParameterName, 'User for the endpoints'' basic auth, with --metrics-password-env or --metrics-password-file')
            [CompletionResult]::new('--metrics-password-env', '--metrics-password-env', [CompletionResultType]::ParameterName, 'The basic auth password, from this environment variable')
            [CompletionResult]::new('--metrics-password-file', '--metrics-password-file', [CompletionResultType]::ParameterName, 'The basic auth password, from this file')
            [CompletionResult]::new('--metrics-bearer-env', '--metrics-bearer-env', [CompletionResultType]::ParameterName, 'A bearer token for the endpoints, from this environment variable')
            [CompletionResult]::new('--metrics-bearer-file', '--metrics-bearer-file', [CompletionResultType]::ParameterName, 'A bearer token for the endpoints, from this file')
            [CompletionResult]::new('--window', '--window', [CompletionResultType]::ParameterName, 'How long to measure round trips and metric rates')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, csv [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, csv [default: table]')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kbp;drain' {
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Consumer group to drain as (joins it)')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Consumer group to drain as (joins it)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Topic to drain (an exact name), repeatable')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Topic to drain (an exact name), repeatable')
            [CompletionResult]::new('--sink', '--sink', [CompletionResultType]::ParameterName, 'Destination: stdout, null, file:PATH, exec:CMD, pipe:CMD, topic:NAME[@CONTEXT]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Line format of stdout, file and pipe sinks (raw cannot be read back: see docs/drain.md)')
            [CompletionResult]::new('--value-format', '--value-format', [CompletionResultType]::ParameterName, 'How keys and values appear in JSON lines')
            [CompletionResult]::new('--workers', '--workers', [CompletionResultType]::ParameterName, 'Worker threads processing records (1 to 1024)')
            [CompletionResult]::new('--ordering', '--ordering', [CompletionResultType]::ParameterName, 'Order guarantee: per partition, per key, or none')
            [CompletionResult]::new('--high-water', '--high-water', [CompletionResultType]::ParameterName, 'Pause the assigned partitions when this many records are queued')
            [CompletionResult]::new('--low-water', '--low-water', [CompletionResultType]::ParameterName, 'Resume them when the queue is back to this many')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Stop at: end (the log end captured at start), offset:N, offset:TOPIC/P=N,... (partitions not named are not drained), time:TIME (RFC 3339 with an offset, or epoch ms)')
            [CompletionResult]::new('--max-records', '--max-records', [CompletionResultType]::ParameterName, 'Stop after this many records')
            [CompletionResult]::new('--idle', '--idle', [CompletionResultType]::ParameterName, 'Stop when no record arrived for this long, e.g. 30s')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Where partitions without a commit start: committed (= earliest), earliest, latest, time:TIME (RFC 3339 with an offset, or epoch ms)')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'At most this many records per second, e.g. 500/s or 6000/m')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries of a failed record before --on-failure applies (0 to 1000)')
            [CompletionResult]::new('--backoff-initial', '--backoff-initial', [CompletionResultType]::ParameterName, 'First retry delay (exponential, full jitter)')
            [CompletionResult]::new('--backoff-max', '--backoff-max', [CompletionResultType]::ParameterName, 'Longest retry delay')
            [CompletionResult]::new('--on-failure', '--on-failure', [CompletionResultType]::ParameterName, 'After the retries: stop, skip, or dlq:TOPIC')
            [CompletionResult]::new('--commit-interval', '--commit-interval', [CompletionResultType]::ParameterName, 'How often processed offsets are committed')
            [CompletionResult]::new('--ack-timeout', '--ack-timeout', [CompletionResultType]::ParameterName, 'With --sink pipe: a child that acknowledges nothing for this long after it was sent a record is killed and started again, and its unacknowledged records are retried')
            [CompletionResult]::new('--shutdown-timeout', '--shutdown-timeout', [CompletionResultType]::ParameterName, 'Bound on finishing in-flight work at shutdown and on revoke')
            [CompletionResult]::new('--summary', '--summary', [CompletionResultType]::ParameterName, 'Final summary (and the --dry-run plan): text on stderr, or json on stdout')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the plan (per partition: start, stop, records, time span) and exit; joins no group, runs no sink, commits nothing')
            [CompletionResult]::new('--no-commit', '--no-commit', [CompletionResultType]::ParameterName, 'Process records through the sink, but commit nothing')
            [CompletionResult]::new('--join-live-group', '--join-live-group', [CompletionResultType]::ParameterName, 'Join the group even when it has live members that are not kbp drains (they lose partitions to the drain while it runs)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kbp;offsets' {
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Move committed offsets as kafka-consumer-groups --reset-offsets does: a plan, or with --execute the write (after saving the previous offsets to a restore file)')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Put back the offsets of restore files (or kafka-consumer-groups --export CSVs): the undo of a reset, with the same plan, guard and check')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Print committed offsets as kafka-consumer-groups --export writes them (-o csv), or as json, yaml or a table')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a group''s commits on topics (OffsetDelete): a plan, or with --execute the delete (after saving them to a restore file)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kbp;offsets;reset' {
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Consumer group, repeatable')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Consumer group, repeatable')
            [CompletionResult]::new('--group-regex', '--group-regex', [CompletionResultType]::ParameterName, 'Every group whose name matches this regular expression (unanchored: ^billing$ for one name)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Topic, or TOPIC:P,P... for some of its partitions, repeatable (default: every partition the group has committed)')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Topic, or TOPIC:P,P... for some of its partitions, repeatable (default: every partition the group has committed)')
            [CompletionResult]::new('--to-offset', '--to-offset', [CompletionResultType]::ParameterName, 'To offset N (clamped into the log)')
            [CompletionResult]::new('--shift-by', '--shift-by', [CompletionResultType]::ParameterName, 'By N from the committed offset, e.g. -100 (read again) or 100 (skip); clamped')
            [CompletionResult]::new('--to-datetime', '--to-datetime', [CompletionResultType]::ParameterName, 'To the first record at or after TIME (RFC 3339 with an offset, or epoch ms); the log end where none is that late')
            [CompletionResult]::new('--by-duration', '--by-duration', [CompletionResultType]::ParameterName, 'To the first record of the last DURATION, e.g. 2h, 1d, PT2H')
            [CompletionResult]::new('--from-file', '--from-file', [CompletionResultType]::ParameterName, 'To the offsets of a kafka-consumer-groups --export CSV (topic,partition,offset for one --group; group,topic,partition,offset); clamped')
            [CompletionResult]::new('--restore-dir', '--restore-dir', [CompletionResultType]::ParameterName, 'Directory for restore files [default: $XDG_STATE_HOME/kbp, else ~/.local/state/kbp]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, csv [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, csv [default: table]')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]')
            [CompletionResult]::new('--to-earliest', '--to-earliest', [CompletionResultType]::ParameterName, 'To the log start (the oldest record kept)')
            [CompletionResult]::new('--to-latest', '--to-latest', [CompletionResultType]::ParameterName, 'To the log end (skip everything written so far)')
            [CompletionResult]::new('--to-current', '--to-current', [CompletionResultType]::ParameterName, 'To the committed offset; the log end where there is none')
            [CompletionResult]::new('--execute', '--execute', [CompletionResultType]::ParameterName, 'Write: save the previous offsets to a restore file, write, read back and check. Without it, print the plan and change nothing')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'With --execute: write even to a group with live members, or one kbp cannot describe (Kafka answers UNKNOWN_MEMBER_ID while members are in; they overwrite what a server takes)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kbp;offsets;restore' {
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Only this group''s rows; the group of a file without a group column (topic,partition,offset)')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Only this group''s rows; the group of a file without a group column (topic,partition,offset)')
            [CompletionResult]::new('--restore-dir', '--restore-dir', [CompletionResultType]::ParameterName, 'Directory for restore files [default: $XDG_STATE_HOME/kbp, else ~/.local/state/kbp]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, csv [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, csv [default: table]')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]')
            [CompletionResult]::new('--execute', '--execute', [CompletionResultType]::ParameterName, 'Write: save the previous offsets to a restore file, write, read back and check. Without it, print the plan and change nothing')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'With --execute: write even to a group with live members')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kbp;offsets;export' {
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Consumer group, repeatable')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Consumer group, repeatable')
            [CompletionResult]::new('--group-regex', '--group-regex', [CompletionResultType]::ParameterName, 'Every group whose name matches this regular expression (unanchored: ^billing$ for one name)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Only this topic, or TOPIC:P,P..., repeatable')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Only this topic, or TOPIC:P,P..., repeatable')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: csv (kafka-consumer-groups --export: no header, a group column for several groups), json, yaml, table [default: csv]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: csv (kafka-consumer-groups --export: no header, a group column for several groups), json, yaml, table [default: csv]')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kbp;offsets;delete' {
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Consumer group, repeatable')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Consumer group, repeatable')
            [CompletionResult]::new('--group-regex', '--group-regex', [CompletionResultType]::ParameterName, 'Every group whose name matches this regular expression (unanchored: ^billing$ for one name)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Topic, or TOPIC:P,P... for some of its partitions, repeatable')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Topic, or TOPIC:P,P... for some of its partitions, repeatable')
            [CompletionResult]::new('--restore-dir', '--restore-dir', [CompletionResultType]::ParameterName, 'Directory for restore files [default: $XDG_STATE_HOME/kbp, else ~/.local/state/kbp]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, csv [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, csv [default: table]')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]')
            [CompletionResult]::new('--execute', '--execute', [CompletionResultType]::ParameterName, 'Write: save the previous offsets to a restore file, write, read back and check. Without it, print the plan and change nothing')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'With --execute: delete even for a group with live members (Kafka refuses it for topics they read)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kbp;offsets;help' {
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Move committed offsets as kafka-consumer-groups --reset-offsets does: a plan, or with --execute the write (after saving the previous offsets to a restore file)')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Put back the offsets of restore files (or kafka-consumer-groups --export CSVs): the undo of a reset, with the same plan, guard and check')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Print committed offsets as kafka-consumer-groups --export writes them (-o csv), or as json, yaml or a table')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a group''s commits on topics (OffsetDelete): a plan, or with --execute the delete (after saving them to a restore file)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kbp;offsets;help;reset' {
            break
        }
        'kbp;offsets;help;restore' {
            break
        }
        'kbp;offsets;help;export' {
            break
        }
        'kbp;offsets;help;delete' {
            break
        }
        'kbp;offsets;help;help' {
            break
        }
        'kbp;group' {
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete consumer groups and their commits (Kafka deletes only groups without members): a plan, or with --execute the delete (after saving the commits to a restore file)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kbp;group;delete' {
            [CompletionResult]::new('--restore-dir', '--restore-dir', [CompletionResultType]::ParameterName, 'Directory for restore files [default: $XDG_STATE_HOME/kbp, else ~/.local/state/kbp]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, csv [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, csv [default: table]')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]')
            [CompletionResult]::new('--execute', '--execute', [CompletionResultType]::ParameterName, 'Write: save the previous offsets to a restore file, write, read back and check. Without it, print the plan and change nothing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kbp;group;help' {
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete consumer groups and their commits (Kafka deletes only groups without members): a plan, or with --execute the delete (after saving the commits to a restore file)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kbp;group;help;delete' {
            break
        }
        'kbp;group;help;help' {
            break
        }
        'kbp;serve' {
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Consumer group to inspect, repeatable (default: all groups)')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Consumer group to inspect, repeatable (default: all groups)')
            [CompletionResult]::new('--group-regex', '--group-regex', [CompletionResultType]::ParameterName, 'Only groups whose name matches this regular expression (unanchored: ^billing$ for one name)')
            [CompletionResult]::new('--exclude-group-regex', '--exclude-group-regex', [CompletionResultType]::ParameterName, 'Leave out groups whose name matches this regular expression (after --group-regex)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Only partitions of this topic, repeatable')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Only partitions of this topic, repeatable')
            [CompletionResult]::new('--topic-regex', '--topic-regex', [CompletionResultType]::ParameterName, 'Only partitions of topics whose name matches this regular expression (unanchored); with --topic, partitions of either')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address for /metrics, /healthz and /readyz (port 0: any free port, printed on start)')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'How often each cluster is read (at least 1s); scrapes answer from the last refresh')
            [CompletionResult]::new('--window', '--window', [CompletionResultType]::ParameterName, 'The span the verdicts, rates and ETA judge (as kbp diagnose --window); at least 2 x --interval')
            [CompletionResult]::new('--time-lag-reread', '--time-lag-reread', [CompletionResultType]::ParameterName, 'A record timestamp read for time lag is reused while the group stays at it, and read again after this long (up to twice as long, spread by partition); 0s reads every one at every refresh')
            [CompletionResult]::new('--web-config', '--web-config', [CompletionResultType]::ParameterName, 'TLS and basic auth, in the web config format of Prometheus'' exporters (tls_server_config, basic_auth_users with bcrypt hashes; docs/metrics.md)')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]')
            [CompletionResult]::new('--all-groups', '--all-groups', [CompletionResultType]::ParameterName, 'Inspect every consumer group (the default when no --group is given)')
            [CompletionResult]::new('--no-time-lag', '--no-time-lag', [CompletionResultType]::ParameterName, 'Skip reading records for the time lag metrics (faster, no per-partition fetches)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kbp;config' {
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('view', 'view', [CompletionResultType]::ParameterValue, 'Print the merged effective settings, secrets redacted')
            [CompletionResult]::new('contexts', 'contexts', [CompletionResultType]::ParameterValue, 'List the contexts of the config file')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kbp;config;view' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'o')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'output')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kbp;config;contexts' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'o')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'output')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kbp;config;help' {
            [CompletionResult]::new('view', 'view', [CompletionResultType]::ParameterValue, 'Print the merged effective settings, secrets redacted')
            [CompletionResult]::new('contexts', 'contexts', [CompletionResultType]::ParameterValue, 'List the contexts of the config file')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kbp;config;help;view' {
            break
        }
        'kbp;config;help;contexts' {
            break
        }
        'kbp;config;help;help' {
            break
        }
        'kbp;demo' {
            [CompletionResult]::new('--speed', '--speed', [CompletionResultType]::ParameterName, 'Pace of the story: 2 plays it twice as fast (rates doubled, waits halved)')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]')
            [CompletionResult]::new('--serve', '--serve', [CompletionResultType]::ParameterName, 'Keep the mock cluster (and its traffic) up, print its address, wait for Ctrl-C')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kbp;completions' {
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kbp;man' {
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'Bootstrap servers, comma-separated (overrides the context''s)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Forward librdkafka''s log lines to stderr (secrets redacted)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kbp;help' {
            [CompletionResult]::new('lag', 'lag', [CompletionResultType]::ParameterValue, 'Show how far behind consumer groups are, per partition and per group')
            [CompletionResult]::new('diagnose', 'diagnose', [CompletionResultType]::ParameterValue, 'Find backpressure: sample groups and brokers over a window, say why and what to do')
            [CompletionResult]::new('brokers', 'brokers', [CompletionResultType]::ParameterValue, 'Each broker''s leaders, replicas, round-trip time and, with --metrics-url, its pressure')
            [CompletionResult]::new('drain', 'drain', [CompletionResultType]::ParameterValue, 'Clear a backlog safely: bounded, paused under backpressure, committing only what was processed')
            [CompletionResult]::new('offsets', 'offsets', [CompletionResultType]::ParameterValue, 'Move, export, restore or delete committed offsets: a plan first, --execute to write, an undo file')
            [CompletionResult]::new('group', 'group', [CompletionResultType]::ParameterValue, 'Delete consumer groups (empty ones): a plan first, --execute to delete, an undo file')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Export lag, exact time lag and diagnose verdicts to Prometheus, refreshed in the background')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Inspect the configuration kbp would use')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Play the backpressure story on an in-process mock cluster: nothing to install')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (group and topic names: see `COMPLETE=bash kbp`)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kbp;help;lag' {
            break
        }
        'kbp;help;diagnose' {
            break
        }
        'kbp;help;brokers' {
            break
        }
        'kbp;help;drain' {
            break
        }
        'kbp;help;offsets' {
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Move committed offsets as kafka-consumer-groups --reset-offsets does: a plan, or with --execute the write (after saving the previous offsets to a restore file)')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Put back the offsets of restore files (or kafka-consumer-groups --export CSVs): the undo of a reset, with the same plan, guard and check')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Print committed offsets as kafka-consumer-groups --export writes them (-o csv), or as json, yaml or a table')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a group''s commits on topics (OffsetDelete): a plan, or with --execute the delete (after saving them to a restore file)')
            break
        }
        'kbp;help;offsets;reset' {
            break
        }
        'kbp;help;offsets;restore' {
            break
        }
        'kbp;help;offsets;export' {
            break
        }
        'kbp;help;offsets;delete' {
            break
        }
        'kbp;help;group' {
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete consumer groups and their commits (Kafka deletes only groups without members): a plan, or with --execute the delete (after saving the commits to a restore file)')
            break
        }
        'kbp;help;group;delete' {
            break
        }
        'kbp;help;serve' {
            break
        }
        'kbp;help;config' {
            [CompletionResult]::new('view', 'view', [CompletionResultType]::ParameterValue, 'Print the merged effective settings, secrets redacted')
            [CompletionResult]::new('contexts', 'contexts', [CompletionResultType]::ParameterValue, 'List the contexts of the config file')
            break
        }
        'kbp;help;config;view' {
            break
        }
        'kbp;help;config;contexts' {
            break
        }
        'kbp;help;demo' {
            break
        }
        'kbp;help;completions' {
            break
        }
        'kbp;help;man' {
            break
        }
        'kbp;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
