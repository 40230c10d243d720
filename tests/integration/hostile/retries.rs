// Issue 20 rows (see TABLES in hostile.rs). Class 4: retriable answers are asked again
// within the deadline, and only those: an answer an operator must mend (a missing topic
// or group, a member in the way) ends the command at once, however long --timeout is.
// The retriable ones (injected on the mock cluster, a broker killed and restarted) are in
// deadlines.rs.
const RETRY_ROWS: &[Row] = &[
    row("an unknown topic is not asked again", "-b {B} --timeout 60s lag -t no-such-topic-kbp", 4, "no-such-topic-kbp").within(3_000),
    row("an unknown group is not asked again", "-b {B} --timeout 60s lag -g {G}", 4, "consumer group not found").within(3_000),
    row("an unknown group in diagnose is not asked again", "-b {B} --timeout 60s diagnose --once -g {G}", 4, "consumer group not found").within(3_000),
    row("an unknown drain topic is not asked again", "-b {B} --timeout 60s drain -g {G} -t no-such-topic-kbp --until end", 4, "no-such-topic-kbp").within(3_000).never(NO_COMMIT),
    row("an unknown group to reset is not asked again", "-b {B} --timeout 60s offsets reset -g {G} -t {T} --to-latest --execute", 4, "consumer group not found").within(3_000).never(NO_COMMIT),
    row("a forced reset under a live member: UNKNOWN_MEMBER_ID is not asked again", "-b {B} --timeout 60s offsets reset -g {G} -t {T} --to-earliest --execute --force --restore-dir {DIR}", 5, "did not move").setup(Setup::LiveMember).within(8_000).never(NO_COMMIT),
    row("an unknown topic in diagnose is not asked again", "-b {B} --timeout 60s diagnose --once -t no-such-topic-kbp", 4, "no-such-topic-kbp").within(3_000),
    row("a restore to a topic the cluster lacks is not asked again", "-b {B} --timeout 60s offsets restore {DIR}/f.csv --execute --restore-dir {DIR}", 4, "topic not found: no-such-topic-kbp").setup(Setup::File("{G},no-such-topic-kbp,0,5\n")).within(3_000).then(UNMOVED),
    row("a group delete of an unknown group is not asked again", "-b {B} --timeout 60s group delete {G} --execute", 4, "consumer group not found").within(3_000),
];
