//! The `kbp` binary: everything lives in the library so tests can drive `kbp::run`.

fn main() {
    kbp::sys::guard_std_fds();
    std::process::exit(kbp::run(std::env::args_os()));
}

/// Runs before std's runtime, which reopens a closed stdin, stdout or stderr on /dev/null
/// and so hides that it was closed: kbp must know (`kbp drain >&-` delivers nothing).
#[cfg(target_os = "linux")]
#[used]
// SAFETY: .init_array holds pointers to functions taking no arguments that the loader
// calls before main; `note_std_fds` is one, and only reads fd flags and sets an atomic.
#[link_section = ".init_array"]
static NOTE_STD_FDS: extern "C" fn() = note_std_fds;

#[cfg(target_os = "linux")]
extern "C" fn note_std_fds() {
    kbp::sys::note_closed_std_fds();
}
