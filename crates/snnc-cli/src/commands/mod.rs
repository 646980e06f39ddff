//! One file per subcommand.

mod bench;
mod check;
mod compile;
mod export;
mod grad;
mod inspect;
mod plot;
mod run;

use anyhow::Result;

use crate::args::{Cli, Command};

/// Runs the parsed command line.
pub fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(a) => run::run(a),
        Command::Grad(a) => grad::grad(a),
        Command::Inspect(a) => inspect::inspect(a),
        Command::Compile(a) => compile::compile(a),
        Command::Check(a) => check::check(a),
        Command::Bench(a) => bench::bench(a),
        Command::Plot(a) => plot::plot(a),
        Command::Export(a) => export::export(a),
    }
}
