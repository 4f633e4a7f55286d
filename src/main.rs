//! The `newswatch` binary: parse the command line, call the library, map
//! failures to exit statuses.

use std::process::ExitCode;

use clap::FromArgMatches;
use newswatch::app::authoring::{self, ReplayArgs};
use newswatch::app::commands as app;
use newswatch::cli::{self, Cli, Command, Shell};
use newswatch::exit::{self, Failure};

fn main() -> ExitCode {
    let matches = cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let config = cli.config.as_deref();
    let result = match cli.command {
        Command::Run => app::run(config),
        Command::Demo => app::demo(),
        Command::Scan {
            watchlist,
            compare,
            inputs,
        } => match compare {
            Some(old) => authoring::scan_compare(config, watchlist, &old, &inputs),
            None => app::scan(config, watchlist, &inputs),
        },
        Command::Check { watchlist } => app::check(config, watchlist),
        Command::Replay {
            watchlist,
            topics,
            from,
            to,
            compare,
            output,
            sink,
        } => authoring::replay(ReplayArgs {
            config: cli.config.clone(),
            watchlist,
            topics,
            from,
            to,
            compare,
            output,
            sink,
        }),
        Command::Test { junit, files } => authoring::test(&files, junit.as_deref()),
        Command::Explain {
            watchlist,
            rules,
            json,
            inputs,
        } => authoring::explain(config, watchlist, &rules, json, &inputs),
        Command::Completions { shell } => completions(shell),
        Command::Man => man(),
    };
    match result {
        Ok(status) => ExitCode::from(status),
        Err(failure) => {
            failure.report();
            ExitCode::from(failure.status)
        }
    }
}

/// `newswatch completions SHELL`: the script on stdout.
fn completions(shell: Shell) -> Result<u8, Failure> {
    use clap_complete::Shell as S;
    let shell = match shell {
        Shell::Bash => S::Bash,
        Shell::Zsh => S::Zsh,
        Shell::Fish => S::Fish,
        Shell::Powershell => S::PowerShell,
        Shell::Elvish => S::Elvish,
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cli::command(), "newswatch", &mut out);
    write_out(&out)
}

/// `newswatch man`: the manual page (roff) on stdout.
fn man() -> Result<u8, Failure> {
    let mut out = Vec::new();
    // The plain version: the page's footer shows it as written.
    clap_mangen::Man::new(cli::command().version(env!("CARGO_PKG_VERSION")))
        .render(&mut out)
        .map_err(|e| {
            Failure::new(
                exit::IOERR,
                anyhow::Error::new(e).context("rendering the manual"),
            )
        })?;
    write_out(&out)
}

fn write_out(bytes: &[u8]) -> Result<u8, Failure> {
    match newswatch::stdio::write_stdout(bytes) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::new(
            exit::IOERR,
            anyhow::Error::new(e).context("writing to stdout"),
        )),
        _ => Ok(exit::OK),
    }
}
