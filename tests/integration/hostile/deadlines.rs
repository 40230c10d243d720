// Issue 20 rows (see TABLES in hostile.rs). Class 3: one deadline per command. A cluster
// that never answers ends every command, bulk ones too, within --timeout + 1 s; the faults
// a row cannot make (a broker frozen or killed mid-command) are in deadlines.rs.
const DEADLINE_ROWS: &[Row] = &[
    row("a bulk reset against a cluster that never answers", "-b {HOLE} --timeout 2s offsets reset --group-regex .* -t {T} --to-latest --execute --restore-dir {DIR}", 3, "cannot reach Kafka").within(3_000),
    row("a restore of several groups against a cluster that never answers", "-b {HOLE} --timeout 2s offsets restore {DIR}/f.csv --execute --restore-dir {DIR}", 3, "cannot reach Kafka").setup(Setup::File("{G},{T},0,1\n{G}-b,{T},0,1\n{G}-c,{T},1,2\n")).within(3_000).then(UNMOVED),
    row("an offsets delete of several groups against a cluster that never answers", "-b {HOLE} --timeout 2s offsets delete -g {G} -g {G}-b -t {T} --execute --restore-dir {DIR}", 3, "cannot reach Kafka").within(3_000),
    row("a group delete of several groups against a cluster that never answers", "-b {HOLE} --timeout 2s group delete {G} {G}-b {G}-c --execute --restore-dir {DIR}", 3, "cannot reach Kafka").within(3_000),
    row("lag of every group against a cluster that never answers", "-b {HOLE} --timeout 2s lag --all-groups", 3, "cannot reach Kafka").within(3_000),
    row("a diagnose window against a cluster that never answers", "-b {HOLE} --timeout 2s diagnose --window 30s --samples 10", 3, "cannot reach Kafka").within(3_000),
    row("an export of every group against a cluster that never answers", "-b {HOLE} --timeout 2s offsets export --group-regex .*", 3, "cannot reach Kafka").within(3_000),
    row("a drain with a short shutdown bound against a cluster that never answers", "-b {HOLE} --timeout 2s drain -g {G} -t {T} --until end --shutdown-timeout 1s", 3, "cannot reach Kafka").within(3_000).never(NO_COMMIT),
    row("a plan against a cluster that never answers", "-b {HOLE} --timeout 2s offsets reset -g {G} -t {T} --to-earliest", 3, "cannot reach Kafka").within(3_000),
    // A broker of the table's own, frozen as the writes begin (bounds count from the freeze).
    row("a bulk reset whose cluster freezes as it writes", "-b {OWN} --timeout 2s offsets reset --group-regex ^{G}- -t fz --to-latest --execute --restore-dir {DIR}", 5, "unknown").setup(Setup::Frozen(100)).within(3_000).never(&[Never::Shows("planned")]).then(&[Then::Stdout("unknown (not read back)")]),
    row("a bulk offsets delete whose cluster freezes as it writes", "-b {OWN} --timeout 2s offsets delete --group-regex ^{G}- -t fz --execute --restore-dir {DIR}", 5, "unknown").setup(Setup::Frozen(100)).within(3_000).never(&[Never::Shows("planned")]).then(&[Then::Stdout("unknown (not read back)")]),
    row("a group delete of many groups whose cluster freezes as it deletes", "-b {OWN} --timeout 2s group delete {GS} --execute --restore-dir {DIR}", 5, "unknown").setup(Setup::Frozen(100)).within(3_000).then(&[Then::Stdout("unknown (not read back)")]),
    row("lag of every group against a frozen cluster", "-b {OWN} --timeout 2s lag --all-groups", 3, "cannot reach Kafka").setup(Setup::Frozen(0)).within(3_000),
    row("a diagnose window against a frozen cluster", "-b {OWN} --timeout 2s diagnose --window 20s", 3, "cannot reach Kafka").setup(Setup::Frozen(0)).within(3_000),
    row("a drain against a frozen cluster", "-b {OWN} --timeout 2s drain -g {G}-x -t fz --until end", 3, "cannot reach Kafka").setup(Setup::Frozen(0)).within(3_000),
];
