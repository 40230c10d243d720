// Issue 20, class 2: names are exact through every file and table. `{G0}` is the row's
// plain group name, `{G}` the hostile one built from it, `{GQ}` that quoted for CSV. A row
// that writes checks the hostile group got it and the plain one (what a trimming or
// unquoting reader would make of it) did not.
const NAME_ROWS: &[Row] = &[
    row("a restore file with spaces around a quoted group name", "-b {B} offsets restore {DIR}/f.csv --execute --restore-dir {DIR}/undo", 0, "saved to").setup(Setup::NamedFile(" {G} ", "{GQ},{T},0,1\n{GQ},{T},1,2\n")).never(&[Never::CommitTo("{G0}")]).then(&[Then::Committed(&[(0, 1), (1, 2)])]),
    row("a restore file with spaces around a bare group name keeps them", "-b {B} offsets restore {DIR}/f.csv --execute --restore-dir {DIR}/undo", 0, "saved to").setup(Setup::NamedFile(" {G} ", "{G},{T},0,1\n{G},{T},1,2\n")).never(&[Never::CommitTo("{G0}")]).then(&[Then::Committed(&[(0, 1), (1, 2)])]),
    row("a restore file with a comma in the group name", "-b {B} offsets restore {DIR}/f.csv --execute --restore-dir {DIR}/undo", 0, "saved to").setup(Setup::NamedFile("{G},eu", "{GQ},{T},0,1\n")).never(&[Never::CommitTo("{G0}")]).then(&[Then::Committed(&[(0, 1), (1, 4)])]),
    row("a restore file with quotes in the group name", "-b {B} offsets restore {DIR}/f.csv --execute --restore-dir {DIR}/undo", 0, "saved to").setup(Setup::NamedFile("\"{G}\" v2", "{GQ},{T},1,2\n")).never(&[Never::CommitTo("{G0}")]).then(&[Then::Committed(&[(0, 3), (1, 2)])]),
    row("a restore file with a newline in the group name", "-b {B} offsets restore {DIR}/f.csv --execute --restore-dir {DIR}/undo", 0, "saved to").setup(Setup::NamedFile("{G}\nx", "{GQ},{T},0,1\n")).never(&[Never::CommitTo("{G0}"), Never::RawEscape]).then(&[Then::Committed(&[(0, 1), (1, 4)])]),
    row("a restore file with a unicode group name", "-b {B} offsets restore {DIR}/f.csv --execute --restore-dir {DIR}/undo", 0, "saved to").setup(Setup::NamedFile("{G}-größe-🚀-עברית", "{G},{T},0,1\n")).never(&[Never::CommitTo("{G0}")]).then(&[Then::Committed(&[(0, 1), (1, 4)])]),
    row("a restore file with Windows line ends", "-b {B} offsets restore {DIR}/f.csv --execute --restore-dir {DIR}/undo", 0, "saved to").setup(Setup::File("{G},{T},0,1\r\n{G},{T},1,2\r\n")).then(&[Then::Committed(&[(0, 1), (1, 2)])]),
    row("a restore file with a byte-order mark", "-b {B} offsets restore {DIR}/f.csv --execute --restore-dir {DIR}/undo", 0, "saved to").setup(Setup::File("\u{feff}{G},{T},0,1\n")).then(&[Then::Committed(&[(0, 1), (1, 4)])]),
    row("a restore file with an unterminated quote", "-b {B} offsets restore {DIR}/f.csv --execute", 2, "f.csv:1: a quote opened on this line is never closed").setup(Setup::File("\"{G},{T},0,1\n{G},{T},1,2\n")).then(UNMOVED),
    row("a restore file whose second row is unterminated is refused whole", "-b {B} offsets restore {DIR}/f.csv --execute", 2, "f.csv:2: a quote opened").setup(Setup::File("{G},{T},0,1\n\"{G},{T},1,2\n")).then(UNMOVED),
    row("a restore file with a quote inside a bare name", "-b {B} offsets restore {DIR}/f.csv --execute", 2, "a quote inside an unquoted field").setup(Setup::File("{G}\",{T},0,1\n")).then(UNMOVED),
    row("a restore file with text after a closing quote", "-b {B} offsets restore {DIR}/f.csv --execute", 2, "text after a closing quote").setup(Setup::File("\"{G}\"x,{T},0,1\n")).then(UNMOVED),
    row("a restore file with a lone carriage return", "-b {B} offsets restore {DIR}/f.csv --execute", 2, "f.csv:1: a carriage return").setup(Setup::File("{G},{T},0,1\r{G},{T},1,2\n")).then(UNMOVED),
    row("a restore file with a partition twice", "-b {B} offsets restore {DIR}/f.csv --execute", 2, "given twice").setup(Setup::File("{G},{T},0,1\n{G},{T},0,2\n")).then(UNMOVED),
    row("--from-file with a quoted name for -g", "-b {B} offsets reset -g {G} --from-file {DIR}/f.csv --execute --restore-dir {DIR}/undo", 0, "saved to").setup(Setup::NamedFile(" {G} ", "{GQ},{T},0,1\n")).never(&[Never::CommitTo("{G0}")]).then(&[Then::Committed(&[(0, 1), (1, 4)])]),
    row("a full disk for the restore file leaves no file and writes nothing", "-b {B} offsets reset -g {G} -t {T} --to-offset 5 --execute --restore-dir {DIR}/undo", 70, "nothing was written to Kafka").setup(Setup::NoRoom).never(&[Never::FilesIn("undo")]).then(UNMOVED),
    row("an export quotes a name with spaces", "-b {B} offsets export --group-regex {G0}", 0, "").setup(Setup::Named(" {G} ")).then(&[Then::Stdout("{GQ},{T},0,3\n{GQ},{T},1,4\n")]),
    row("an export quotes a name with a comma", "-b {B} offsets export --group-regex {G0}", 0, "").setup(Setup::Named("{G},eu")).then(&[Then::Stdout("{GQ},{T},0,3\n")]),
    row("a lag table quotes a name with spaces", "-b {B} lag -g {G}", 0, "").setup(Setup::Named(" {G} ")).then(&[Then::Stdout("\" {G0} \"")]),
    row("a lag table escapes a zero-width space", "-b {B} lag -g {G}", 0, "").setup(Setup::Named("{G}\u{200b}")).then(&[Then::Stdout("\"{G0}\\u{200b}\"")]).never(&[Never::Shows("\u{200b}")]),
    row("a lag table escapes a bidi override", "-b {B} lag -g {G}", 0, "").setup(Setup::Named("{G}\u{202e}cba")).then(&[Then::Stdout("{G0}\\u{202e}cba")]).never(&[Never::Shows("\u{202e}")]),
    row("a lag table escapes a newline", "-b {B} lag -g {G} -o wide", 0, "").setup(Setup::Named("{G}\nfake-row")).never(&[Never::Shows("\nfake-row")]).then(&[Then::Stdout("{G0}\\nfake-row")]),
    row("JSON keeps a name with spaces exact", "-b {B} lag -g {G} -o json", 0, "").setup(Setup::Named(" {G} ")).then(&[Then::Stdout("\"group\": \" {G0} \"")]),
    row("an offsets plan table quotes a name with spaces", "-b {B} offsets reset -g {G} -t {T} --to-latest", 0, "").setup(Setup::Named(" {G} ")).then(&[Then::Stdout("\" {G0} \""), Then::Committed(COMMITS)]),
    row("the restore note names a group with spaces distinguishably", "-b {B} offsets reset -g {G} -t {T} --to-offset 5 --execute --restore-dir {DIR}/undo", 0, "group \" {G0} \" saved to").setup(Setup::Named(" {G} ")).never(&[Never::CommitTo("{G0}")]).then(&[Then::Committed(&[(0, 5), (1, 5)])]),
    row("a drain of a group with a leading space would join another", "-b {B} drain -g ~{G} -t {T} --until end --sink null", 2, "starts with white space").setup(Setup::Commits(COMMITS)).then(&[Then::Committed(COMMITS)]),
    row("a drain of a group with a leading tab would join another", "-b {B} drain -g {G} -t {T} --until end --sink null", 2, "librdkafka drops").setup(Setup::Named("\t{G}")).never(&[Never::CommitTo("{G0}")]),
    row("Prometheus text escapes a name's quote, backslash and newline", "-b {B} lag -g {G} -o prometheus", 0, "").setup(Setup::Named("{G}\"q\\b\nnl")).then(&[Then::Stdout("consumergroup=\"{G0}\\\"q\\\\b\\nnl\"")]),
];
