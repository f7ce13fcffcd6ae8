//! Parse the command line, run it, exit with its code. Nothing else.

fn main() {
    // Die quietly when a reader goes away (`runbook doc | head`), like other Unix tools,
    // instead of panicking on the next print.
    // SAFETY: called first, before any thread exists; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = runbook::commands::parse();
    std::process::exit(runbook::commands::dispatch(cli));
}
