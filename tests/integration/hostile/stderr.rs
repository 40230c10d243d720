// Issue 20 rows (see TABLES in hostile.rs).
//
// Class 7: errors are told, not panicked. A diagnostic is best effort: a stderr that is
// full (`2>/dev/full`) or closed (`2>&-`) never turns a documented exit code into 101.
// Nothing can be read on such a stderr, so the rows check the code, the bound and what
// must not happen.
const STDERR_ROWS: &[Row] = &[
    row("a usage error with a full stderr", "-b {B} --timeout 0s lag", 2, "").setup(Setup::Shell("{CMD} 2>/dev/full")),
    row("a usage error with a closed stderr", "-b {B} --timeout 0s lag", 2, "").setup(Setup::Shell("{CMD} 2>&-")),
    row("clap's usage error with a full stderr", "lag --no-such-flag", 2, "").setup(Setup::Shell("{CMD} 2>/dev/full")),
    row("a not-found with a full stderr", "-b {B} lag -t no-such-topic-kbp", 4, "").setup(Setup::Shell("{CMD} 2>/dev/full")),
    row("a not-found with a closed stderr", "-b {B} lag -t no-such-topic-kbp", 4, "").setup(Setup::Shell("{CMD} 2>&-")),
    row("an unreachable cluster with a full stderr", "-b 127.0.0.1:1 --timeout 30s lag", 3, "").setup(Setup::Shell("{CMD} 2>/dev/full")).within(2_000),
    row("an unreachable cluster with a closed stderr", "-b 127.0.0.1:1 --timeout 30s lag", 3, "").setup(Setup::Shell("{CMD} 2>&-")).within(2_000),
    row("a drain with a full stderr", "-b {B} drain -g {G} -t {T} --until end --sink null", 0, "").setup(Setup::Shell("{CMD} 2>/dev/full")).within(15_000).then(&[Then::Committed(&[(0, 10), (1, 10)])]),
    row("a drain with a closed stderr", "-b {B} drain -g {G} -t {T} --until end --sink null", 0, "").setup(Setup::Shell("{CMD} 2>&-")).within(15_000).then(&[Then::Committed(&[(0, 10), (1, 10)])]),
    row("a verbose drain with a full stderr", "-b {B} -v drain -g {G} -t {T} --until end --sink null", 0, "").setup(Setup::Shell("{CMD} 2>/dev/full")).within(15_000).then(&[Then::Committed(&[(0, 10), (1, 10)])]),
    row("a failing drain with a full stderr", "-b {B} drain -g {G} -t {T} --until end --sink file:/dev/full", 6, "").setup(Setup::Shell("{CMD} 2>/dev/full")).within(8_000).never(NO_COMMIT),
    row("a failing drain with a closed stderr", "-b {B} drain -g {G} -t {T} --until end --sink exec:false --retries 0", 6, "").setup(Setup::Shell("{CMD} 2>&-")).within(8_000).never(NOTHING_PROCESSED),
    row("a dry run with a full stderr", "-b {B} drain -g {G} -t {T} --until end --dry-run", 0, "").setup(Setup::Shell("{CMD} 2>/dev/full")).never(NO_COMMIT),
    row("a serve usage error with a full stderr", "-b {B} serve --interval 0s", 2, "").setup(Setup::Shell("{CMD} 2>/dev/full")),
    row("a serve usage error with a closed stderr", "-b {B} serve --interval 0s", 2, "").setup(Setup::Shell("{CMD} 2>&-")),
    row("a warning with a full stderr", "-b {B} -X sasl.password=hunter2-hostile config view", 0, "").setup(Setup::Shell("{CMD} 2>/dev/full")).never(&[Never::Shows("hunter2-hostile")]),
    row("a full stdout and a full stderr", "-b {B} lag", 70, "").setup(Setup::Shell("{CMD} >/dev/full 2>/dev/full")).within(30_000),
];
