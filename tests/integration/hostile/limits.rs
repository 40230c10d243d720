// Issue 20 rows (see TABLES in hostile.rs).
// Class 5: a limit that cannot be reached is clamped (and said) or refused before anything
// is joined or bound; never waited on. The dry run says what the run does.
const LIMIT_ROWS: &[Row] = &[
    row("until offset:N past every log end stops at the log end, and says so", "-b {B} drain -g {G} -t {T} --sink null --until offset:500", 0, "are past the log end").within(10_000).then(&[Then::Committed(&[(0, 10), (1, 10)]), Then::Stderr("stopped (done)")]),
    row("until offset:T/P=N past the log end stops there", "-b {B} drain -g {G} -t {T} --sink null --until offset:{T}/0=500", 0, "/0=500 (log end 10)").within(10_000).then(&[Then::Committed(&[(0, 10)])]),
    row("until offset: one partition past the end, the other inside", "-b {B} drain -g {G} -t {T} --sink null --until offset:{T}/0=4,{T}/1=11", 0, "/1=11 (log end 10)").within(10_000).then(&[Then::Committed(&[(0, 4), (1, 10)])]),
    row("until offset: past the end from a commit", "-b {B} drain -g {G} -t {T} --sink null --until offset:99", 0, "past the log end").setup(Setup::Commits(COMMITS)).within(10_000).then(&[Then::Committed(&[(0, 10), (1, 10)])]),
    row("until offset: past the end with a pipe sink", "-b {B} drain -g {G} -t {T} --sink pipe:while~read~l;~do~echo~ok;~done --until offset:1000000", 0, "past the log end").within(15_000).then(&[Then::Committed(&[(0, 10), (1, 10)])]),
    row("dry run says the clamp the run makes", "-b {B} drain -g {G} -t {T} --until offset:500 --dry-run", 0, "past the log end").within(10_000).never(NO_COMMIT).then(&[Then::Stderr("would process 20 record(s)")]),
    row("dry run plan as JSON with a clamp", "-b {B} drain -g {G} -t {T} --until offset:{T}/1=99 --dry-run --summary json", 0, "/1=99 (log end 10)").within(10_000).never(NO_COMMIT).then(&[Then::Stdout("\"records\":10,")]),
    row("until offset: exactly at the log end is no clamp", "-b {B} drain -g {G} -t {T} --sink null --until offset:10", 0, "stopped (done)").within(10_000).never(&[Never::Shows("past the log end")]).then(&[Then::Committed(&[(0, 10), (1, 10)])]),
    // Bounded by --timeout, not at once: when the commits are read before the assignment
    // comes, the drain stops mid-join and closing the consumer waits out --timeout
    // (about 1 run in 3; the engine and consumer close, outside this class).
    row("until offset: below the commits stops within --timeout, moving nothing", "-b {B} --timeout 3s drain -g {G} -t {T} --sink null --until offset:2", 0, "stopped (done)").setup(Setup::Commits(COMMITS)).within(5_000).then(&[Then::Committed(COMMITS)]),
    row("serve refreshing every 500ms", "-b {B} serve --listen 127.0.0.1:0 --interval 500ms", 2, "shorter than the least allowed, 1s").within(3_000),
    row("serve with a window shorter than two refreshes", "-b {B} serve --listen 127.0.0.1:0 --interval 10s --window 15s", 2, "--window 15s is shorter than 2 x --interval 10s").within(3_000),
    row("serve with a window of one refresh", "-b {B} serve --listen 127.0.0.1:0 --interval 1m --window 1m", 2, "--window 2m or more").within(3_000),
    row("serve with an interval the default window cannot hold", "-b {B} serve --listen 127.0.0.1:0 --interval 5m", 2, "--window 5m is shorter than 2 x --interval 5m").within(3_000),
    row("serve with an interval no window can hold twice", "-b {B} serve --listen 127.0.0.1:0 --interval 13h --window 1day", 2, "give --interval 12h or less").within(3_000),
    row("serve with an interval past a day", "-b {B} serve --listen 127.0.0.1:0 --interval 2days", 2, "longer than the most allowed").within(3_000),
    row("an ack timeout past a day", "-b {B} drain -g {G} -t {T} --sink pipe:cat --ack-timeout 2days", 2, "longer than the most allowed").never(NO_COMMIT),
    row("a shutdown timeout of 0s", "-b {B} drain -g {G} -t {T} --shutdown-timeout 0s", 2, "above zero").never(NO_COMMIT),
    row("an idle past a day", "-b {B} drain -g {G} -t {T} --idle 25h", 2, "longer than the most allowed").never(NO_COMMIT),
    row("diagnose with more samples than the window holds", "-b {B} diagnose --window 1s --samples 100", 2, "too short for 100 samples"),
    row("a diagnose watch whose window is shorter than a refresh", "-b {B} diagnose --watch 10s --window 5s", 2, "--window 5s is shorter than --watch 10s").within(3_000),
    row("a diagnose watch whose window is one refresh", "-b {B} diagnose --watch 1s --window 1s -o json", 130, "interrupted").setup(Setup::Signal(INT, 2_500)).within(1_500),
    row("diagnose with ten thousand and one samples", "-b {B} diagnose --samples 10001", 2, "from 2 to 10000"),
];
