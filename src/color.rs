//! Colour in the transcript and diagnostics: only on a terminal, never with `NO_COLOR`
//! (<https://no-color.org>) or `--color never`, always with `--color always`. One choice per
//! process, made by `commands::dispatch`; each stream asks whether it is a terminal itself,
//! so `runbook run ... | tee run.log` keeps a plain log while stderr stays coloured.

use std::io::IsTerminal;
use std::sync::OnceLock;

use clap::builder::styling::{AnsiColor, Style};

/// `--color`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when the stream is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    Always,
    Never,
}

/// Which standard stream a line goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// What a piece of text means, which picks its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Heading,
    Good,
    Warn,
    Bad,
    Quiet,
}

static CHOICE: OnceLock<ColorChoice> = OnceLock::new();

/// Set the process's choice (first call wins).
pub fn init(choice: ColorChoice) {
    let _ = CHOICE.set(choice);
}

/// Whether text written to `stream` is coloured.
pub fn enabled(stream: Stream) -> bool {
    match CHOICE.get().copied().unwrap_or_default() {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
            let terminal = match stream {
                Stream::Stdout => std::io::stdout().is_terminal(),
                Stream::Stderr => std::io::stderr().is_terminal(),
            };
            !no_color && !dumb && terminal
        }
    }
}

fn style(tone: Tone) -> Style {
    match tone {
        Tone::Heading => Style::new().bold(),
        Tone::Good => AnsiColor::Green.on_default().bold(),
        Tone::Warn => AnsiColor::Yellow.on_default().bold(),
        Tone::Bad => AnsiColor::Red.on_default().bold(),
        Tone::Quiet => Style::new().dimmed(),
    }
}

/// `text` in the colour of `tone` if `stream` is coloured, else unchanged.
pub fn paint(stream: Stream, tone: Tone, text: &str) -> String {
    if enabled(stream) {
        let s = style(tone);
        format!("{s}{text}{s:#}")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_open_and_reset() {
        let s = style(Tone::Bad);
        assert_eq!(format!("{s}x{s:#}"), "\u{1b}[1m\u{1b}[31mx\u{1b}[0m");
    }
}
