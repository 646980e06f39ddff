//! Prints generated case `SEED`'s graph as text IR, imported and optimized, for debugging a
//! property-test failure: `cargo run -p snnc-testgen --example dump_case -- SEED`.

fn main() {
    let seed: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).expect("a seed");
    let case = snnc_testgen::generate(seed);
    println!("# {}\n{}", case.description, snnc_text::print_elided(&case.graph, 8));
    let opts = snnc_opt::OptOptions { surrogate: case.surrogate, ..Default::default() };
    let opt = snnc_opt::optimize(&case.graph, &opts).expect("optimizes");
    println!("# optimized\n{}", snnc_text::print_elided(&opt.graph, 8));
}
