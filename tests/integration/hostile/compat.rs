// Issue 20 rows (see TABLES in hostile.rs).
// Class 10: --by-duration takes what kafka-consumer-groups takes (Java's Duration.parse:
// days and smaller, a day of 24 hours), and a time is RFC 3339 exactly, wherever one is
// typed (--to-datetime, drain --from time: and --until time:). `{T}`'s records are 10
// minutes old: a look-back of a day plans the log start, one of half a second the log end.
const COMPAT_ROWS: &[Row] = &[
    row("--by-duration P1D", "-b {B} offsets reset -g {G} -t {T} --by-duration P1D -o csv", 0, "").setup(Setup::Commits(COMMITS)).then(&[Then::Committed(COMMITS), Then::Stdout(",0,3,0,-3,")]),
    row("--by-duration P1DT2H", "-b {B} offsets reset -g {G} -t {T} --by-duration P1DT2H -o csv", 0, "").setup(Setup::Commits(COMMITS)).then(&[Then::Committed(COMMITS), Then::Stdout(",1,4,0,-4,")]),
    row("--by-duration PT0.5S", "-b {B} offsets reset -g {G} -t {T} --by-duration PT0.5S -o csv", 0, "").setup(Setup::Commits(COMMITS)).then(&[Then::Committed(COMMITS), Then::Stdout(",0,3,10,7,")]),
    row("--by-duration in lowercase, as Java takes it", "-b {B} offsets reset -g {G} -t {T} --by-duration p1dt1m -o csv", 0, "").setup(Setup::Commits(COMMITS)).then(&[Then::Committed(COMMITS), Then::Stdout(",0,3,0,-3,")]),
    row("--by-duration P1DT2H written", "-b {B} offsets reset -g {G} -t {T} --by-duration P1DT2H --execute --restore-dir {DIR}", 0, "saved to").setup(Setup::Commits(COMMITS)).then(&[Then::Committed(&[(0, 0), (1, 0)])]),
    row("--by-duration of a week", "-b {B} offsets reset -g {G} -t {T} --by-duration P1W --execute", 2, "give days (P30D)").setup(Setup::Commits(COMMITS)).then(UNMOVED),
    row("--by-duration of a month", "-b {B} offsets reset -g {G} -t {T} --by-duration P1M --execute", 2, "no fixed length").setup(Setup::Commits(COMMITS)).then(UNMOVED),
    row("--by-duration negative", "-b {B} offsets reset -g {G} -t {T} --by-duration -PT1H --execute", 2, "negative").setup(Setup::Commits(COMMITS)).then(UNMOVED),
    row("--by-duration P alone", "-b {B} offsets reset -g {G} -t {T} --by-duration P --execute", 2, "ISO 8601").setup(Setup::Commits(COMMITS)).then(UNMOVED),
    row("--to-datetime with a +24:00 offset", "-b {B} offsets reset -g {G} -t {T} --to-datetime 2026-01-01T00:00:00+24:00 --execute", 2, "not from -23:59 to +23:59").setup(Setup::Commits(COMMITS)).then(UNMOVED),
    row("--to-datetime at hour 24", "-b {B} offsets reset -g {G} -t {T} --to-datetime 2026-01-01T24:00:00Z --execute", 2, "--to-datetime").setup(Setup::Commits(COMMITS)).then(UNMOVED),
    row("--to-datetime with an offset of +0200", "-b {B} offsets reset -g {G} -t {T} --to-datetime 2026-01-01T00:00:00+0200 --execute", 2, "not an RFC 3339 time").setup(Setup::Commits(COMMITS)).then(UNMOVED),
    row("--to-datetime with an offset of +02", "-b {B} offsets reset -g {G} -t {T} --to-datetime 2026-01-01T00:00:00+02 --execute", 2, "not an RFC 3339 time").setup(Setup::Commits(COMMITS)).then(UNMOVED),
    row("--to-datetime in ISO 8601's basic format", "-b {B} offsets reset -g {G} -t {T} --to-datetime 20260101T000000Z --execute", 2, "not an RFC 3339 time").setup(Setup::Commits(COMMITS)).then(UNMOVED),
    row("--to-datetime without seconds", "-b {B} offsets reset -g {G} -t {T} --to-datetime 2026-01-01T00:00Z --execute", 2, "not an RFC 3339 time").setup(Setup::Commits(COMMITS)).then(UNMOVED),
    row("--to-datetime with a time zone in brackets", "-b {B} offsets reset -g {G} -t {T} --to-datetime 2026-01-01T00:00:00+01:00[Europe/Paris] --execute", 2, "not an RFC 3339 time").setup(Setup::Commits(COMMITS)).then(UNMOVED),
    row("--to-datetime with a comma fraction", "-b {B} offsets reset -g {G} -t {T} --to-datetime 2026-01-01T00:00:00,5Z --execute", 2, "not an RFC 3339 time").setup(Setup::Commits(COMMITS)).then(UNMOVED),
    row("--to-datetime on February 30", "-b {B} offsets reset -g {G} -t {T} --to-datetime 2026-02-30T00:00:00Z --execute", 2, "--to-datetime").setup(Setup::Commits(COMMITS)).then(UNMOVED),
    row("--to-datetime as kafka-consumer-groups' local time is refused", "-b {B} offsets reset -g {G} -t {T} --to-datetime 2026-01-01T00:00:00.000 --execute", 2, "with an offset").setup(Setup::Commits(COMMITS)).then(UNMOVED),
    row("--to-datetime with -00:00 (RFC 3339's unknown offset)", "-b {B} offsets reset -g {G} -t {T} --to-datetime 2020-01-01T00:00:00-00:00 -o csv", 0, "").setup(Setup::Commits(COMMITS)).then(&[Then::Committed(COMMITS), Then::Stdout(",0,3,0,-3,")]),
    row("drain --until time: with a +24:00 offset", "-b {B} drain -g {G} -t {T} --until time:2026-01-01T00:00:00+24:00", 2, "not from -23:59 to +23:59").never(NO_COMMIT),
    row("drain --from time: with an offset of +0200", "-b {B} drain -g {G} -t {T} --from time:2026-01-01T00:00:00+0200", 2, "not an RFC 3339 time").never(NO_COMMIT),
];
