//! The `kbp` binary: everything lives in the library so tests can drive `kbp::run`.

fn main() {
    std::process::exit(kbp::run(std::env::args_os()));
}
