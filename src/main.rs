//! The `newswatch` binary: parse the command line, call the library, map
//! failures to exit statuses.

use std::process::ExitCode;

use clap::Parser;
use newswatch::app::commands as app;
use newswatch::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run { config } => app::run(config.as_deref()),
        Command::Demo => app::demo(),
        Command::Scan {
            watchlist,
            compare: Some(old),
            config,
            inputs,
        } => newswatch::app::authoring::scan_compare(config.as_deref(), watchlist, &old, &inputs),
        Command::Scan {
            watchlist,
            compare: None,
            config,
            inputs,
        } => app::scan(config.as_deref(), watchlist, &inputs),
        Command::Check { config, watchlist } => app::check(config.as_deref(), watchlist),
        Command::Replay {
            config,
            watchlist,
            topics,
            from,
            to,
            compare,
            output,
            sink,
        } => newswatch::app::authoring::replay(newswatch::app::authoring::ReplayArgs {
            config,
            watchlist,
            topics,
            from,
            to,
            compare,
            output,
            sink,
        }),
        Command::Test { junit, files } => newswatch::app::authoring::test(&files, junit.as_deref()),
        Command::Explain {
            watchlist,
            config,
            rules,
            json,
            inputs,
        } => {
            newswatch::app::authoring::explain(config.as_deref(), watchlist, &rules, json, &inputs)
        }
    };
    match result {
        Ok(status) => ExitCode::from(status),
        Err(failure) => {
            failure.report();
            ExitCode::from(failure.status)
        }
    }
}
