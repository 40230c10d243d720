// Issue 20 rows (see TABLES in hostile.rs).
//
// Class 1: nothing is committed or written that was not delivered. A stdout closed
// (`>&-`) or full (`>/dev/full`) is a sink failure whatever `--on-failure` says; a report
// no one can read is exit 70; the first record that fails for good stops the sink and is
// the one named; a pipe child's surplus answer never acknowledges a record it has not read.
const DELIVERY_ROWS: &[Row] = &[
    row("a drain to a closed stdout", "-b {B} drain -g {G} -t {T} --until end", 6, "--sink stdout: stdout is closed").setup(Setup::Shell("{CMD} >&-")).within(8_000).never(NO_COMMIT),
    row("a drain to a full stdout", "-b {B} drain -g {G} -t {T} --until end", 6, "writing to stdout: No space left on device").setup(Setup::Shell("{CMD} >/dev/full")).within(8_000).never(NO_COMMIT).then(&[Then::Stderr("sink-failed")]),
    row("a raw drain to a full stdout", "-b {B} drain -g {G} -t {T} --until end --format raw", 6, "No space left on device").setup(Setup::Shell("{CMD} >/dev/full")).within(8_000).never(NO_COMMIT),
    row("a full stdout is not skipped by --on-failure skip", "-b {B} drain -g {G} -t {T} --until end --on-failure skip", 6, "No space left on device").setup(Setup::Shell("{CMD} >/dev/full")).within(8_000).never(NO_COMMIT),
    row("a full stdout is not dead-lettered", "-b {B} drain -g {G} -t {T} --until end --on-failure dlq:{OUT}", 6, "No space left on device").setup(Setup::Shell("{CMD} >/dev/full")).within(8_000).never(&[Never::Commit, Never::Produce]),
    row("a full stdout with four workers", "-b {B} drain -g {G} -t {T} --until end --workers 4 --ordering unordered", 6, "No space left on device").setup(Setup::Shell("{CMD} >/dev/full")).within(8_000).never(NO_COMMIT),
    row("a JSON summary to a closed stdout is refused before joining", "-b {B} drain -g {G} -t {T} --until end --sink null --summary json", 70, "writing output: stdout is closed").setup(Setup::Shell("{CMD} >&-")).within(3_000).never(NO_COMMIT),
    row("a dry run to a closed stdout says the drain would fail", "-b {B} drain -g {G} -t {T} --until end --dry-run", 0, "a drain would fail (exit 6): --sink stdout: stdout is closed").setup(Setup::Shell("{CMD} >&-")).within(5_000).never(NO_COMMIT),
    row("a file sink that is kbp's closed stdout", "-b {B} drain -g {G} -t {T} --until end --sink file:/dev/stdout", 6, "is kbp's stdout, which is closed").setup(Setup::Shell("{CMD} >&-")).within(8_000).never(NO_COMMIT),
    row("a closed stdout does not matter to a file sink", "-b {B} drain -g {G} -t {T} --until end --sink file:{DIR}/out", 0, "stopped (done)").setup(Setup::Shell("{CMD} >&-")).within(15_000).never(&[Never::Torn("out")]).then(&[Then::Committed(&[(0, 10), (1, 10)])]),
    row("a closed stdout does not matter to an exec sink", "-b {B} drain -g {G} -t {T} --until end --sink exec:cat>/dev/null --workers 4", 0, "stopped (done)").setup(Setup::Shell("{CMD} >&-")).within(20_000).then(&[Then::Committed(&[(0, 10), (1, 10)])]),
    row("a closed stdout does not matter to a topic sink", "-b {B} drain -g {G} -t {T} --until end --sink topic:{OUT}", 0, "stopped (done)").setup(Setup::Shell("{CMD} >&-")).within(15_000).then(&[Then::Committed(&[(0, 10), (1, 10)])]),
    row("a closed stdin does not matter to a drain", "-b {B} drain -g {G} -t {T} --until end --sink null", 0, "stopped (done)").setup(Setup::Shell("{CMD} <&-")).within(15_000).then(&[Then::Committed(&[(0, 10), (1, 10)])]),
    row("--on-failure stop names the first record that failed, and feeds nothing after it", "-b {B} drain -g {G} -t {T} --until end --retries 0 --workers 4 --sink exec:touch~{DIR}/$KBP_PARTITION-$KBP_OFFSET;~test~$KBP_OFFSET~-lt~3", 6, "@3: command exited with exit status: 1").within(15_000).never(&[Never::File("0-4"), Never::File("1-4"), Never::CommitPast(3)]),
    row("--on-failure stop with retries names the record that failed", "-b {B} drain -g {G} -t {T} --until end --retries 2 --backoff-initial 10ms --workers 2 --sink exec:test~$KBP_OFFSET~-lt~5", 6, "@5: command exited with exit status: 1").within(15_000).never(&[Never::CommitPast(5)]),
    row("a pipe child that answers twice for a record", "-b {B} drain -g {G} -t {T} --until end --workers 1 --sink pipe:read~-r~v;~echo~ok;~echo~ok;~sleep~1", 6, "more answers than records").within(10_000).never(&[Never::CommitPast(1)]),
    row("a pipe child that answers before it reads", "-b {B} drain -g {G} -t {T} --until end --workers 1 --sink pipe:echo~ok;~sleep~1", 6, "more answers than records").within(10_000).never(NOTHING_PROCESSED),
    row("lag to a closed stdout", "-b {B} lag", 70, "writing output: stdout is closed").setup(Setup::Shell("{CMD} >&-")).within(3_000),
    row("lag to a full stdout", "-b {B} lag", 70, "writing output: No space left on device").setup(Setup::Shell("{CMD} >/dev/full")).within(30_000),
    row("a lag watch to a closed stdout", "-b {B} lag --watch 1s", 70, "stdout is closed").setup(Setup::Shell("{CMD} >&-")).within(3_000),
    row("diagnose to a closed stdout", "-b {B} diagnose --once", 70, "stdout is closed").setup(Setup::Shell("{CMD} >&-")).within(3_000),
    row("brokers to a closed stdout", "-b {B} brokers", 70, "stdout is closed").setup(Setup::Shell("{CMD} >&-")).within(3_000),
    row("an offsets export to a closed stdout", "-b {B} offsets export -g {G}", 70, "stdout is closed").setup(Setup::Shell("{CMD} >&-")).within(3_000),
    row("an offsets reset --execute to a closed stdout writes nothing", "-b {B} offsets reset -g {G} -t {T} --to-offset 5 --execute --restore-dir {DIR}", 70, "stdout is closed").setup(Setup::Shell("{CMD} >&-")).within(3_000).never(NO_COMMIT),
    row("config view to a closed stdout", "-b {B} config view", 70, "stdout is closed").setup(Setup::Shell("{CMD} >&-")),
    row("completions to a closed stdout", "completions bash", 70, "stdout is closed").setup(Setup::Shell("{CMD} >&-")),
    row("completions to a full stdout", "completions bash", 70, "No space left on device").setup(Setup::Shell("{CMD} >/dev/full")),
    row("--version to a closed stdout", "--version", 70, "stdout is closed").setup(Setup::Shell("{CMD} >&-")),
    row("a drain JSON summary read by head stays a success", "-b {B} drain -g {G} -t {T} --until end --sink null --summary json", 0, "").setup(Setup::Pipe("head -c 1 >/dev/null")).within(15_000).then(&[Then::Committed(&[(0, 10), (1, 10)])]),
    row("lag read by a reader that closes at once stays a success", "-b {B} lag -o json", 0, "").setup(Setup::Pipe("head -c 1 >/dev/null")).within(30_000),
];
