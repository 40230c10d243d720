// Issue 20 rows (see TABLES in hostile.rs).
//
// Class 8: sinks check what they can before joining. A file sink on a FIFO or a socket is
// refused (its reader cannot be known to have taken a record: `--sink stdout` with a
// redirection can); a character device is written without fsync, said once; a file
// another drain writes is refused; a write that fails mid-record leaves the file as it
// was at the last sync, so no torn record follows the last commit.
const FILE_SINK_ROWS: &[Row] = &[
    row("a file sink on a FIFO is refused before joining", "-b {B} drain -g {G} -t {T} --until end --sink file:{DIR}/fifo", 2, "is a FIFO").setup(Setup::Shell("mkfifo {DIR}/fifo && {CMD}")).within(5_000).never(NO_COMMIT),
    row("a file sink on a pipe (/dev/stdout) is refused", "-b {B} drain -g {G} -t {T} --until end --sink file:/dev/stdout", 2, "is a FIFO").within(5_000).never(NO_COMMIT),
    row("a file sink on a socket is refused", "-b {B} drain -g {G} -t {T} --until end --sink file:{DIR}/sock", 2, "is a socket").setup(Setup::Shell("python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' {DIR}/sock && {CMD}")).within(5_000).never(NO_COMMIT),
    row("a file sink on /dev/null works without fsync, and says so", "-b {B} drain -g {G} -t {T} --until end --sink file:/dev/null", 0, "cannot be fsynced").within(15_000).then(&[Then::Committed(&[(0, 10), (1, 10)])]),
    row("a file sink on a directory", "-b {B} drain -g {G} -t {T} --until end --sink file:{DIR}", 2, "Is a directory").within(5_000).never(NO_COMMIT),
    row("a file sink in a read-only place", "-b {B} drain -g {G} -t {T} --until end --sink file:/proc/kbp-out", 2, "--sink file:/proc/kbp-out").within(5_000).never(NO_COMMIT),
    row("a file another drain writes is refused", "-b {B} drain -g {G} -t {T} --until end --sink file:{DIR}/out", 2, "one drain writes a file").setup(Setup::Shell("exec 9>>{DIR}/out && flock 9 && {CMD}")).within(5_000).never(NO_COMMIT),
    row("a file that fills up mid-record is cut back, not torn", "-b {B} drain -g {G} -t {T} --until end --sink file:{DIR}/out", 6, "File too large").setup(Setup::Shell("trap '' XFSZ; ulimit -f 1; {CMD}")).within(10_000).never(&[Never::Commit, Never::Torn("out")]).then(&[Then::Stderr("sink-failed")]),
    row("a file that fills up after a commit keeps what was committed", "-b {B} drain -g {G} -t {T} --until end --sink file:{DIR}/out --commit-interval 50ms --rate 20/s", 6, "File too large").setup(Setup::Shell("trap '' XFSZ; ulimit -f 1; {CMD}")).within(15_000).never(&[Never::Torn("out")]).then(&[Then::Stderr("sink-failed")]),
    row("a file torn by a crash gets the next record on a line of its own", "-b {B} drain -g {G} -t {T} --until end --sink file:{DIR}/out", 0, "stopped (done)").setup(Setup::Shell("printf '{\"half\":' > {DIR}/out && {CMD}")).within(15_000).never(&[Never::Torn("out")]).then(&[Then::Committed(&[(0, 10), (1, 10)])]),
];
