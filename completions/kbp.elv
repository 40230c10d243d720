
use builtin;
use str;

set edit:completion:arg-completer[kbp] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'kbp'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'kbp'= {
            cand -b 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --bootstrap-server 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --context 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]'
            cand -X 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL'
            cand --timeout 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]'
            cand -v 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand --verbose 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand lag 'Show how far behind consumer groups are, per partition and per group'
            cand diagnose 'Find backpressure: sample groups and brokers over a window, say why and what to do'
            cand brokers 'Each broker''s leaders, replicas, round-trip time and, with --metrics-url, its pressure'
            cand drain 'Clear a backlog safely: bounded, paused under backpressure, committing only what was processed'
            cand offsets 'Move, export, restore or delete committed offsets: a plan first, --execute to write, an undo file'
            cand group 'Delete consumer groups (empty ones): a plan first, --execute to delete, an undo file'
            cand serve 'Export lag, exact time lag and diagnose verdicts to Prometheus, refreshed in the background'
            cand config 'Inspect the configuration kbp would use'
            cand demo 'Play the backpressure story on an in-process mock cluster: nothing to install'
            cand completions 'Print a shell completion script (group and topic names: see `COMPLETE=bash kbp`)'
            cand man 'Print the man page (roff)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'kbp;lag'= {
            cand -g 'Consumer group to inspect, repeatable (default: all groups)'
            cand --group 'Consumer group to inspect, repeatable (default: all groups)'
            cand --group-regex 'Only groups whose name matches this regular expression (unanchored: ^billing$ for one name)'
            cand --exclude-group-regex 'Leave out groups whose name matches this regular expression (after --group-regex)'
            cand -t 'Only partitions of this topic, repeatable'
            cand --topic 'Only partitions of this topic, repeatable'
            cand --topic-regex 'Only partitions of topics whose name matches this regular expression (unanchored); with --topic, partitions of either'
            cand --state 'Only groups in this state, repeatable'
            cand -o 'Output format [default: table]'
            cand --output 'Output format [default: table]'
            cand --fail-above 'Exit with code 1 when a group''s total lag is above N records'
            cand --fail-time-above 'Exit with code 1 when a group''s time lag is above DURATION, e.g. 5m'
            cand --watch 'Refresh every INTERVAL (5s when not given) until Ctrl-C: redrawn in place on a terminal, appended otherwise (one JSON object per line with -o json)'
            cand --sort 'With --watch: groups and partitions by time lag, lag, lag growth rate, or name'
            cand --color 'With --watch: colour the verdicts (auto: on a terminal, unless NO_COLOR is set)'
            cand -b 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --bootstrap-server 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --context 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]'
            cand -X 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL'
            cand --timeout 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]'
            cand --all-groups 'Inspect every consumer group (the default when no --group is given)'
            cand --only-with-lag 'Only rows whose lag is above zero'
            cand --no-time-lag 'Skip reading records for TIME-LAG (faster, no per-partition fetches)'
            cand -v 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand --verbose 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'kbp;diagnose'= {
            cand -g 'Consumer group to inspect, repeatable (default: all groups)'
            cand --group 'Consumer group to inspect, repeatable (default: all groups)'
            cand --group-regex 'Only groups whose name matches this regular expression (unanchored: ^billing$ for one name)'
            cand --exclude-group-regex 'Leave out groups whose name matches this regular expression (after --group-regex)'
            cand -t 'Only partitions of this topic, repeatable'
            cand --topic 'Only partitions of this topic, repeatable'
            cand --topic-regex 'Only partitions of topics whose name matches this regular expression (unanchored); with --topic, partitions of either'
            cand --window 'How long to watch the cluster (with --watch: the rolling window rates are measured over)'
            cand --samples 'Samples taken over the window (2 to 10000)'
            cand --fail-on 'Exit non-zero when the worst finding is at least this severe (1 warn, 7 crit)'
            cand --metrics-url 'A broker''s Prometheus endpoint, [BROKER-ID=]URL, repeatable (one per broker)'
            cand --expect-brokers 'How many brokers the cluster should have (brokers down are reported)'
            cand --metrics-ca 'PEM CA certificates the https --metrics-url endpoints are checked against (default: the system''s)'
            cand --metrics-user 'User for the endpoints'' basic auth, with --metrics-password-env or --metrics-password-file'
            cand --metrics-password-env 'The basic auth password, from this environment variable'
            cand --metrics-password-file 'The basic auth password, from this file'
            cand --metrics-bearer-env 'A bearer token for the endpoints, from this environment variable'
            cand --metrics-bearer-file 'A bearer token for the endpoints, from this file'
            cand -o 'Output format: table, wide, json, yaml, csv (partitions) [default: table]'
            cand --output 'Output format: table, wide, json, yaml, csv (partitions) [default: table]'
            cand --watch 'Refresh every INTERVAL (5s when not given) until Ctrl-C: redrawn in place on a terminal, appended otherwise (one JSON object per line with -o json)'
            cand --sort 'With --watch: groups and partitions by time lag, lag, lag growth rate, or name'
            cand --color 'With --watch: colour the verdicts (auto: on a terminal, unless NO_COLOR is set)'
            cand -b 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --bootstrap-server 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --context 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]'
            cand -X 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL'
            cand --timeout 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]'
            cand --all-groups 'Inspect every consumer group (the default when no --group is given)'
            cand --once 'One snapshot, only the checks that need no history'
            cand --no-time-lag 'Skip reading records for the exact time lag'
            cand -v 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand --verbose 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'kbp;brokers'= {
            cand --metrics-url 'A broker''s Prometheus endpoint, [BROKER-ID=]URL, repeatable (one per broker)'
            cand --expect-brokers 'How many brokers the cluster should have (brokers down are reported)'
            cand --metrics-ca 'PEM CA certificates the https --metrics-url endpoints are checked against (default: the system''s)'
            cand --metrics-user 'User for the endpoints'' basic auth, with --metrics-password-env or --metrics-password-file'
            cand --metrics-password-env 'The basic auth password, from this environment variable'
            cand --metrics-password-file 'The basic auth password, from this file'
            cand --metrics-bearer-env 'A bearer token for the endpoints, from this environment variable'
            cand --metrics-bearer-file 'A bearer token for the endpoints, from this file'
            cand --window 'How long to measure round trips and metric rates'
            cand -o 'Output format: table, wide, json, yaml, csv [default: table]'
            cand --output 'Output format: table, wide, json, yaml, csv [default: table]'
            cand -b 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --bootstrap-server 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --context 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]'
            cand -X 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL'
            cand --timeout 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]'
            cand -v 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand --verbose 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'kbp;drain'= {
            cand -g 'Consumer group to drain as (joins it)'
            cand --group 'Consumer group to drain as (joins it)'
            cand -t 'Topic to drain (an exact name), repeatable'
            cand --topic 'Topic to drain (an exact name), repeatable'
            cand --sink 'Destination: stdout, null, file:PATH, exec:CMD, pipe:CMD, topic:NAME[@CONTEXT]'
            cand --format 'Line format of stdout, file and pipe sinks (raw cannot be read back: see docs/drain.md)'
            cand --value-format 'How keys and values appear in JSON lines'
            cand --workers 'Worker threads processing records (1 to 1024)'
            cand --ordering 'Order guarantee: per partition, per key, or none'
            cand --high-water 'Pause the assigned partitions when this many records are queued'
            cand --low-water 'Resume them when the queue is back to this many'
            cand --until 'Stop at: end (the log end captured at start), offset:N, offset:TOPIC/P=N,... (partitions not named are not drained), time:TIME (RFC 3339 with an offset, or epoch ms)'
            cand --max-records 'Stop after this many records'
            cand --idle 'Stop when no record arrived for this long, e.g. 30s'
            cand --from 'Where partitions without a commit start: committed (= earliest), earliest, latest, time:TIME (RFC 3339 with an offset, or epoch ms)'
            cand --rate 'At most this many records per second, e.g. 500/s or 6000/m'
            cand --retries 'Retries of a failed record before --on-failure applies (0 to 1000)'
            cand --backoff-initial 'First retry delay (exponential, full jitter)'
            cand --backoff-max 'Longest retry delay'
            cand --on-failure 'After the retries: stop, skip, or dlq:TOPIC'
            cand --commit-interval 'How often processed offsets are committed'
            cand --ack-timeout 'With --sink pipe: a child that acknowledges nothing for this long after it was sent a record is killed and started again, and its unacknowledged records are retried'
            cand --shutdown-timeout 'Bound on finishing in-flight work at shutdown and on revoke'
            cand --summary 'Final summary (and the --dry-run plan): text on stderr, or json on stdout'
            cand -b 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --bootstrap-server 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --context 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]'
            cand -X 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL'
            cand --timeout 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]'
            cand --dry-run 'Print the plan (per partition: start, stop, records, time span) and exit; joins no group, runs no sink, commits nothing'
            cand --no-commit 'Process records through the sink, but commit nothing'
            cand --join-live-group 'Join the group even when it has live members that are not kbp drains (they lose partitions to the drain while it runs)'
            cand -q 'No progress on stderr'
            cand --quiet 'No progress on stderr'
            cand -v 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand --verbose 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'kbp;offsets'= {
            cand -b 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --bootstrap-server 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --context 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]'
            cand -X 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL'
            cand --timeout 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]'
            cand -v 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand --verbose 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand reset 'Move committed offsets as kafka-consumer-groups --reset-offsets does: a plan, or with --execute the write (after saving the previous offsets to a restore file)'
            cand restore 'Put back the offsets of restore files (or kafka-consumer-groups --export CSVs): the undo of a reset, with the same plan, guard and check'
            cand export 'Print committed offsets as kafka-consumer-groups --export writes them (-o csv), or as json, yaml or a table'
            cand delete 'Delete a group''s commits on topics (OffsetDelete): a plan, or with --execute the delete (after saving them to a restore file)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'kbp;offsets;reset'= {
            cand -g 'Consumer group, repeatable'
            cand --group 'Consumer group, repeatable'
            cand --group-regex 'Every group whose name matches this regular expression (unanchored: ^billing$ for one name)'
            cand -t 'Topic, or TOPIC:P,P... for some of its partitions, repeatable (default: every partition the group has committed)'
            cand --topic 'Topic, or TOPIC:P,P... for some of its partitions, repeatable (default: every partition the group has committed)'
            cand --to-offset 'To offset N (clamped into the log)'
            cand --shift-by 'By N from the committed offset, e.g. -100 (read again) or 100 (skip); clamped'
            cand --to-datetime 'To the first record at or after TIME (RFC 3339 with an offset, or epoch ms); the log end where none is that late'
            cand --by-duration 'To the first record of the last DURATION, e.g. 2h, 1d, PT2H'
            cand --from-file 'To the offsets of a kafka-consumer-groups --export CSV (topic,partition,offset for one --group; group,topic,partition,offset); clamped'
            cand --restore-dir 'Directory for restore files [default: $XDG_STATE_HOME/kbp, else ~/.local/state/kbp]'
            cand -o 'Output format: table, wide, json, yaml, csv [default: table]'
            cand --output 'Output format: table, wide, json, yaml, csv [default: table]'
            cand -b 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --bootstrap-server 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --context 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]'
            cand -X 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL'
            cand --timeout 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]'
            cand --to-earliest 'To the log start (the oldest record kept)'
            cand --to-latest 'To the log end (skip everything written so far)'
            cand --to-current 'To the committed offset; the log end where there is none'
            cand --execute 'Write: save the previous offsets to a restore file, write, read back and check. Without it, print the plan and change nothing'
            cand --force 'With --execute: write even to a group with live members, or one kbp cannot describe (Kafka answers UNKNOWN_MEMBER_ID while members are in; they overwrite what a server takes)'
            cand -v 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand --verbose 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'kbp;offsets;restore'= {
            cand -g 'Only this group''s rows; the group of a file without a group column (topic,partition,offset)'
            cand --group 'Only this group''s rows; the group of a file without a group column (topic,partition,offset)'
            cand --restore-dir 'Directory for restore files [default: $XDG_STATE_HOME/kbp, else ~/.local/state/kbp]'
            cand -o 'Output format: table, wide, json, yaml, csv [default: table]'
            cand --output 'Output format: table, wide, json, yaml, csv [default: table]'
            cand -b 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --bootstrap-server 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --context 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]'
            cand -X 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL'
            cand --timeout 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]'
            cand --execute 'Write: save the previous offsets to a restore file, write, read back and check. Without it, print the plan and change nothing'
            cand --force 'With --execute: write even to a group with live members'
            cand -v 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand --verbose 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'kbp;offsets;export'= {
            cand -g 'Consumer group, repeatable'
            cand --group 'Consumer group, repeatable'
            cand --group-regex 'Every group whose name matches this regular expression (unanchored: ^billing$ for one name)'
            cand -t 'Only this topic, or TOPIC:P,P..., repeatable'
            cand --topic 'Only this topic, or TOPIC:P,P..., repeatable'
            cand -o 'Output format: csv (kafka-consumer-groups --export: no header, a group column for several groups), json, yaml, table [default: csv]'
            cand --output 'Output format: csv (kafka-consumer-groups --export: no header, a group column for several groups), json, yaml, table [default: csv]'
            cand -b 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --bootstrap-server 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --context 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]'
            cand -X 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL'
            cand --timeout 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]'
            cand -v 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand --verbose 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'kbp;offsets;delete'= {
            cand -g 'Consumer group, repeatable'
            cand --group 'Consumer group, repeatable'
            cand --group-regex 'Every group whose name matches this regular expression (unanchored: ^billing$ for one name)'
            cand -t 'Topic, or TOPIC:P,P... for some of its partitions, repeatable'
            cand --topic 'Topic, or TOPIC:P,P... for some of its partitions, repeatable'
            cand --restore-dir 'Directory for restore files [default: $XDG_STATE_HOME/kbp, else ~/.local/state/kbp]'
            cand -o 'Output format: table, wide, json, yaml, csv [default: table]'
            cand --output 'Output format: table, wide, json, yaml, csv [default: table]'
            cand -b 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --bootstrap-server 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --context 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]'
            cand -X 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL'
            cand --timeout 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]'
            cand --execute 'Write: save the previous offsets to a restore file, write, read back and check. Without it, print the plan and change nothing'
            cand --force 'With --execute: delete even for a group with live members (Kafka refuses it for topics they read)'
            cand -v 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand --verbose 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'kbp;offsets;help'= {
            cand reset 'Move committed offsets as kafka-consumer-groups --reset-offsets does: a plan, or with --execute the write (after saving the previous offsets to a restore file)'
            cand restore 'Put back the offsets of restore files (or kafka-consumer-groups --export CSVs): the undo of a reset, with the same plan, guard and check'
            cand export 'Print committed offsets as kafka-consumer-groups --export writes them (-o csv), or as json, yaml or a table'
            cand delete 'Delete a group''s commits on topics (OffsetDelete): a plan, or with --execute the delete (after saving them to a restore file)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'kbp;offsets;help;reset'= {
        }
        &'kbp;offsets;help;restore'= {
        }
        &'kbp;offsets;help;export'= {
        }
        &'kbp;offsets;help;delete'= {
        }
        &'kbp;offsets;help;help'= {
        }
        &'kbp;group'= {
            cand -b 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --bootstrap-server 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --context 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]'
            cand -X 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL'
            cand --timeout 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]'
            cand -v 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand --verbose 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand delete 'Delete consumer groups and their commits (Kafka deletes only groups without members): a plan, or with --execute the delete (after saving the commits to a restore file)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'kbp;group;delete'= {
            cand --restore-dir 'Directory for restore files [default: $XDG_STATE_HOME/kbp, else ~/.local/state/kbp]'
            cand -o 'Output format: table, wide, json, yaml, csv [default: table]'
            cand --output 'Output format: table, wide, json, yaml, csv [default: table]'
            cand -b 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --bootstrap-server 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --context 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]'
            cand -X 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL'
            cand --timeout 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]'
            cand --execute 'Write: save the previous offsets to a restore file, write, read back and check. Without it, print the plan and change nothing'
            cand -v 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand --verbose 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'kbp;group;help'= {
            cand delete 'Delete consumer groups and their commits (Kafka deletes only groups without members): a plan, or with --execute the delete (after saving the commits to a restore file)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'kbp;group;help;delete'= {
        }
        &'kbp;group;help;help'= {
        }
        &'kbp;serve'= {
            cand -g 'Consumer group to inspect, repeatable (default: all groups)'
            cand --group 'Consumer group to inspect, repeatable (default: all groups)'
            cand --group-regex 'Only groups whose name matches this regular expression (unanchored: ^billing$ for one name)'
            cand --exclude-group-regex 'Leave out groups whose name matches this regular expression (after --group-regex)'
            cand -t 'Only partitions of this topic, repeatable'
            cand --topic 'Only partitions of this topic, repeatable'
            cand --topic-regex 'Only partitions of topics whose name matches this regular expression (unanchored); with --topic, partitions of either'
            cand --listen 'Address for /metrics, /healthz and /readyz (port 0: any free port, printed on start)'
            cand --interval 'How often each cluster is read (at least 1s); scrapes answer from the last refresh'
            cand --window 'The span the verdicts, rates and ETA judge (as kbp diagnose --window); at least 2 x --interval'
            cand --time-lag-reread 'A record timestamp read for time lag is reused while the group stays at it, and read again after this long (up to twice as long, spread by partition); 0s reads every one at every refresh'
            cand --web-config 'TLS and basic auth, in the web config format of Prometheus'' exporters (tls_server_config, basic_auth_users with bcrypt hashes; docs/metrics.md)'
            cand -b 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --bootstrap-server 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --context 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]'
            cand -X 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL'
            cand --timeout 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]'
            cand --all-groups 'Inspect every consumer group (the default when no --group is given)'
            cand --no-time-lag 'Skip reading records for the time lag metrics (faster, no per-partition fetches)'
            cand -v 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand --verbose 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'kbp;config'= {
            cand -b 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --bootstrap-server 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --context 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]'
            cand -X 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL'
            cand --timeout 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]'
            cand -v 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand --verbose 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand view 'Print the merged effective settings, secrets redacted'
            cand contexts 'List the contexts of the config file'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'kbp;config;view'= {
            cand -o 'o'
            cand --output 'output'
            cand -b 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --bootstrap-server 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --context 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]'
            cand -X 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL'
            cand --timeout 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]'
            cand -v 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand --verbose 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'kbp;config;contexts'= {
            cand -o 'o'
            cand --output 'output'
            cand -b 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --bootstrap-server 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --context 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]'
            cand -X 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL'
            cand --timeout 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]'
            cand -v 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand --verbose 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'kbp;config;help'= {
            cand view 'Print the merged effective settings, secrets redacted'
            cand contexts 'List the contexts of the config file'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'kbp;config;help;view'= {
        }
        &'kbp;config;help;contexts'= {
        }
        &'kbp;config;help;help'= {
        }
        &'kbp;demo'= {
            cand --speed 'Pace of the story: 2 plays it twice as fast (rates doubled, waits halved)'
            cand -b 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --bootstrap-server 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --context 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]'
            cand -X 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL'
            cand --timeout 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]'
            cand --serve 'Keep the mock cluster (and its traffic) up, print its address, wait for Ctrl-C'
            cand -v 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand --verbose 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'kbp;completions'= {
            cand -b 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --bootstrap-server 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --context 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]'
            cand -X 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL'
            cand --timeout 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]'
            cand -v 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand --verbose 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'kbp;man'= {
            cand -b 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --bootstrap-server 'Bootstrap servers, comma-separated (overrides the context''s)'
            cand --context 'Context of the config file to use (default: its current-context); kbp serve takes several, one per cluster'
            cand --config 'Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]'
            cand -X 'librdkafka property, repeatable (as kcat''s -X), e.g. -X security.protocol=SSL'
            cand --timeout 'Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]'
            cand -v 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand --verbose 'Forward librdkafka''s log lines to stderr (secrets redacted)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'kbp;help'= {
            cand lag 'Show how far behind consumer groups are, per partition and per group'
            cand diagnose 'Find backpressure: sample groups and brokers over a window, say why and what to do'
            cand brokers 'Each broker''s leaders, replicas, round-trip time and, with --metrics-url, its pressure'
            cand drain 'Clear a backlog safely: bounded, paused under backpressure, committing only what was processed'
            cand offsets 'Move, export, restore or delete committed offsets: a plan first, --execute to write, an undo file'
            cand group 'Delete consumer groups (empty ones): a plan first, --execute to delete, an undo file'
            cand serve 'Export lag, exact time lag and diagnose verdicts to Prometheus, refreshed in the background'
            cand config 'Inspect the configuration kbp would use'
            cand demo 'Play the backpressure story on an in-process mock cluster: nothing to install'
            cand completions 'Print a shell completion script (group and topic names: see `COMPLETE=bash kbp`)'
            cand man 'Print the man page (roff)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'kbp;help;lag'= {
        }
        &'kbp;help;diagnose'= {
        }
        &'kbp;help;brokers'= {
        }
        &'kbp;help;drain'= {
        }
        &'kbp;help;offsets'= {
            cand reset 'Move committed offsets as kafka-consumer-groups --reset-offsets does: a plan, or with --execute the write (after saving the previous offsets to a restore file)'
            cand restore 'Put back the offsets of restore files (or kafka-consumer-groups --export CSVs): the undo of a reset, with the same plan, guard and check'
            cand export 'Print committed offsets as kafka-consumer-groups --export writes them (-o csv), or as json, yaml or a table'
            cand delete 'Delete a group''s commits on topics (OffsetDelete): a plan, or with --execute the delete (after saving them to a restore file)'
        }
        &'kbp;help;offsets;reset'= {
        }
        &'kbp;help;offsets;restore'= {
        }
        &'kbp;help;offsets;export'= {
        }
        &'kbp;help;offsets;delete'= {
        }
        &'kbp;help;group'= {
            cand delete 'Delete consumer groups and their commits (Kafka deletes only groups without members): a plan, or with --execute the delete (after saving the commits to a restore file)'
        }
        &'kbp;help;group;delete'= {
        }
        &'kbp;help;serve'= {
        }
        &'kbp;help;config'= {
            cand view 'Print the merged effective settings, secrets redacted'
            cand contexts 'List the contexts of the config file'
        }
        &'kbp;help;config;view'= {
        }
        &'kbp;help;config;contexts'= {
        }
        &'kbp;help;demo'= {
        }
        &'kbp;help;completions'= {
        }
        &'kbp;help;man'= {
        }
        &'kbp;help;help'= {
        }
    ]
    $completions[$command]
}
