// Issue 20 rows (see TABLES in hostile.rs).
//
// Class 9: data fidelity of formats. JSON lines keep every header, repeated names
// included, as a list of {key, value}; the default `--value-format utf8` never replaces
// bytes silently: it warns once and the summary counts the records (`replaced`);
// `base64`, `raw` and the raw line formats keep every byte and say nothing.
const FORMAT_ROWS: &[Row] = &[
    row("repeated header names are all kept, in order", "-b {B} drain -g {G} -t {OUT} --until end -q", 0, "").setup(Setup::OddBytes).then(&[Then::Stdout("\"headers\":[{\"key\":\"h\",\"value\":\"1\"},{\"key\":\"h\",\"value\":\"2\"},{\"key\":\"x\",\"value\":null},{\"key\":\"b\",\"value\":\"\u{fffd}\"}]")]),
    row("repeated header names in base64", "-b {B} drain -g {G} -t {OUT} --until end -q --value-format base64", 0, "").setup(Setup::OddBytes).never(&[Never::Shows("not valid UTF-8")]).then(&[Then::Stdout("\"headers\":[{\"key\":\"h\",\"value\":\"MQ==\"},{\"key\":\"h\",\"value\":\"Mg==\"},{\"key\":\"x\",\"value\":null},{\"key\":\"b\",\"value\":\"/w==\"}]")]),
    row("bytes that are not UTF-8 are warned about and counted", "-b {B} drain -g {G} -t {OUT} --until end --summary json", 0, "is not valid UTF-8").setup(Setup::OddBytes).then(&[Then::Stdout("\"replaced\":1,"), Then::Stdout("\"value\":\"ok\u{fffd}bad\"")]),
    row("the text summary says bytes were replaced", "-b {B} drain -g {G} -t {OUT} --until end", 0, "1 record(s) written with invalid UTF-8 replaced by U+FFFD").setup(Setup::OddBytes),
    row("a value that is neither JSON nor UTF-8 in --value-format json", "-b {B} drain -g {G} -t {OUT} --until end --value-format json --summary json", 0, "is not valid UTF-8").setup(Setup::OddBytes).then(&[Then::Stdout("\"replaced\":1,")]),
    row("base64 keeps every byte and says nothing", "-b {B} drain -g {G} -t {OUT} --until end --value-format base64 --summary json", 0, "").setup(Setup::OddBytes).never(&[Never::Shows("not valid UTF-8")]).then(&[Then::Stdout("\"value\":\"b2v/YmFk\""), Then::Stdout("\"key\":\"a/4=\""), Then::Stdout("\"replaced\":0,")]),
    row("raw byte arrays keep every byte", "-b {B} drain -g {G} -t {OUT} --until end --value-format raw -q", 0, "").setup(Setup::OddBytes).never(&[Never::Shows("not valid UTF-8")]).then(&[Then::Stdout("\"value\":[111,107,255,98,97,100]")]),
    row("length-prefixed lines keep every byte", "-b {B} drain -g {G} -t {OUT} --until end --format length-prefixed -q", 0, "").setup(Setup::OddBytes).never(&[Never::Shows("not valid UTF-8")]).then(&[Then::Stdout("6\nok")]),
    row("a pipe child gets the warning too", "-b {B} drain -g {G} -t {OUT} --until end --sink pipe:while~read~-r~v;~do~echo~ok;~done --summary json", 0, "is not valid UTF-8").setup(Setup::OddBytes).then(&[Then::Stdout("\"replaced\":1,")]),
    row("a file sink counts them as well", "-b {B} drain -g {G} -t {OUT} --until end --sink file:{DIR}/out --summary json", 0, "is not valid UTF-8").setup(Setup::OddBytes).then(&[Then::Stdout("\"replaced\":1,")]),
    row("an exec sink gets the key's bytes as they are", "-b {B} drain -g {G} -t {OUT} --until end --sink exec:test~\"$KBP_KEY\"~=~\"$(printf~'k\\376')\"~||~exit~1 --retries 0", 0, "").setup(Setup::OddBytes),
];
