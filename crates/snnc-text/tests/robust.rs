//! Large and hostile inputs: no deep recursion, no panics.

mod common;

use common::*;
use snnc_text::{parse_str, print};

#[test]
fn a_graph_of_100000_lines_parses_and_prints() {
    let n = 100_000;
    let mut src = String::from("graph big {\n  input v0: f32[2]\n");
    for i in 1..n {
        let op = if i % 2 == 0 { "Neg" } else { "Relu" };
        src.push_str(&format!("  v{i} = {op}(v{})\n", i - 1));
    }
    src.push_str(&format!("  output v{}\n}}\n", n - 1));
    assert!(src.lines().count() > n);
    let g = parse_str(&src, None, "big.snn").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(g.nodes().len(), n - 1);
    let text = print(&g);
    let back = parse_str(&text, None, "big2.snn").unwrap();
    assert_same(&g, &back);
}

#[test]
fn a_large_inline_tensor_round_trips() {
    let mut g = snnc_ir::Graph::new("w");
    g.add_initializer("w", f32s(&[300, 200], noise(60_000, 9))).unwrap();
    let back = parse_str(&print(&g), None, "w.snn").unwrap();
    assert_same(&g, &back);
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const PIECES: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    "(",
    ")",
    ",",
    "=",
    ":",
    "_",
    "\"",
    "%\"",
    "@",
    "@\"",
    "#",
    "\n",
    "-",
    "1e9",
    "0x",
    "nan",
    "inf",
    "f32[",
    "i64[",
    "bool[",
    "npz(\"",
    "IAF",
    "Spike",
    "Constant()",
    "value = ",
    "output ",
    "input ",
    "weight ",
    "graph ",
    "é",
    "😀",
    "\u{0}",
    "\\",
    "\\u{",
    "99999999999999999999",
    "-",
    ".",
    "e",
    "true",
];

fn mutate(rng: &mut Rng, src: &str) -> String {
    let mut chars: Vec<char> = src.chars().collect();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(chars.len() + 1);
        match rng.below(4) {
            0 if at < chars.len() => {
                let len = 1 + rng.below(8);
                chars.drain(at..(at + len).min(chars.len()));
            }
            1 => {
                let p = PIECES[rng.below(PIECES.len())];
                chars.splice(at..at, p.chars());
            }
            2 if at < chars.len() => chars[at] = char::from(b' ' + rng.below(95) as u8),
            _ => chars.truncate(at),
        }
    }
    chars.into_iter().collect()
}

#[test]
fn mutated_inputs_never_panic() {
    let mut sources: Vec<String> =
        example_files().iter().map(|f| std::fs::read_to_string(f).unwrap()).collect();
    sources.push(print(&all_ops_graph()));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut ok = 0;
    for src in &sources {
        for _ in 0..400 {
            let m = mutate(&mut rng, src);
            if parse_str(&m, None, "m.snn").is_ok() {
                ok += 1;
            }
        }
    }
    // Most mutations break the text; some (in comments or numbers) do not.
    assert!(ok < sources.len() * 400);
}

#[test]
fn every_prefix_of_an_example_is_handled() {
    let src = std::fs::read_to_string(models_dir().join("steps.snn")).unwrap();
    let end = src.rfind('}').unwrap();
    for (i, _) in src.char_indices().take_while(|&(i, _)| i <= end) {
        let e = parse_str(&src[..i], None, "p.snn");
        assert!(e.is_err(), "a prefix without the closing brace parsed: {i}");
    }
}

#[test]
fn non_utf8_bytes_in_files_never_panic() {
    let dir = temp_dir("bytes");
    let path = dir.join("b.snn");
    let base = std::fs::read(models_dir().join("recurrent.snn")).unwrap();
    let mut rng = Rng(42);
    for _ in 0..300 {
        let mut b = base.clone();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(b.len());
            b[at] = rng.next() as u8;
        }
        std::fs::write(&path, &b).unwrap();
        let _ = snnc_text::parse_file(&path);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
