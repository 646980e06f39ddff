//! `snnc`: compile, run, differentiate and inspect spiking neural networks (SPEC §4).

mod args;
mod bench;
mod commands;
mod dot;
mod exec;
mod export;
mod inputs;
mod model;
mod plotting;
mod reset_grads;
mod stage;
mod summary;
mod tract_engine;

use std::process::ExitCode;

use clap::Parser;

/// Usage errors and user errors both exit with 1 (SPEC §4); `--help` and `--version` with 0.
fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(1);
        }
    };
    match commands::dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
