//! Every error names the file, line and column of its cause.

mod common;

use common::*;
use snnc_text::{parse_file, parse_str, TextError};

const HEAD: &str = "graph g {\n  input x: f32[2,3]\n";

/// Parses HEAD + `line` + a closing brace and returns (line, col, message).
fn err_at(line: &str) -> (usize, usize, String) {
    let src = format!("{HEAD}{line}\n  output x\n}}\n");
    err_src(&src)
}

fn err_src(src: &str) -> (usize, usize, String) {
    match parse_str(src, None, "t.snn") {
        Ok(_) => panic!("expected an error for:\n{src}"),
        Err(e) => {
            let (l, c) = e.position().expect("positioned error");
            assert_eq!(e.to_string(), format!("t.snn:{l}:{c}: {}", e.message()));
            (l, c, e.message().to_string())
        }
    }
}

fn check(line: &str, want: (usize, usize), msg_part: &str) {
    let (l, c, m) = err_at(line);
    assert_eq!((l, c), want, "{m}");
    assert!(m.contains(msg_part), "message {m:?} lacks {msg_part:?}");
}

#[test]
fn unknown_op() {
    let e = parse_str(&format!("{HEAD}  y = Foo(x)\n}}"), None, "t.snn").unwrap_err();
    assert!(e.to_string().starts_with("t.snn:3:7: unknown op 'Foo' (known ops: Gemm, MatMul"));
}

#[test]
fn unknown_attribute() {
    check("  y = Relu(x) {alpha = 1.0}", (3, 16), "unknown attribute 'alpha': Relu takes no");
    check("  z = IAF(x) {v_th = 1.0, thresh = 2}", (3, 27), "unknown attribute 'thresh' for IAF");
    check("  y = Concat(x) {axis = 0, axis = 1}", (3, 28), "attribute 'axis' is given twice");
}

#[test]
fn bad_attribute_values() {
    check("  z = Spike(x) {method = \"foo\"}", (3, 26), "unknown surrogate method 'foo'");
    check("  z = IAF(x) {order = \"backwards\"}", (3, 23), "unknown order 'backwards'");
    check("  z = IAF(x) {alpha = -1.0}", (3, 23), "positive finite");
    check("  z = Spike(x) {surrogate = \"super:x\"}", (3, 29), "bad surrogate alpha");
    check("  z = Spike(x) {surrogate = \"super\", alpha = 2.0}", (3, 29), "not both");
    check("  y = Gather(x, x) {axis = 1.5}", (3, 28), "'axis' expects an integer, got 1.5");
    check("  y = Cast(x) {to = \"f16\"}", (3, 21), "unknown dtype 'f16'");
    check("  y = Cast(x) {to = f32}", (3, 21), "expected an attribute value, found 'f32'");
    check("  y = Transpose(x) {perm = [1, -1]}", (3, 28), "must not be negative");
    check("  y = Gemm(x, x) {trans_b = 1}", (3, 29), "'trans_b' expects true or false");
    check("  y = Constant() {value = [1.0]}", (3, 27), "'value' expects a typed tensor");
    check("  y = Concat(x)", (3, 7), "missing attribute 'axis'");
    check("  y = Constant()", (3, 7), "missing attribute 'value'");
}

#[test]
fn undefined_value() {
    check("  y = Neg(w)", (3, 11), "undefined value 'w'");
    check("  y = Add(x, %\"a b\")", (3, 14), "undefined value 'a b'");
    let (l, c, m) = err_src("graph g {\n  input x: f32[2]\n  output y\n}");
    assert_eq!((l, c), (3, 10), "{m}");
}

#[test]
fn redefinition() {
    check("  x = Neg(x)", (3, 3), "value 'x' is already defined");
    check("  input x: f32[1]", (3, 9), "value 'x' is already defined");
    check("  weight x: f32[] = 1.0", (3, 10), "value 'x' is already defined");
    check("  a, a = IAF(x)", (3, 6), "value 'a' is already defined");
    check("  @n a = Neg(x) @n b = Neg(x)", (3, 17), "node 'n' is already defined");
    check("  output x", (4, 10), "'x' is listed as an output twice");
}

#[test]
fn ir_errors_point_at_the_node() {
    check("  y = MatMul(x, x)", (3, 3), "node 'MatMul_0' (MatMul): inner dimensions differ");
    check("  @mm y = MatMul(x, x)", (3, 3), "node 'mm' (MatMul)");
    check("  y = Neg(x, x)", (3, 3), "takes 1 inputs, got 2");
    check("  y, z = Neg(x)", (3, 3), "has 1 outputs, 2 were named");
    check("  z = IAF(x) {v_th = [1, 2]}", (3, 3), "X must have rank 3");
    // A reset amount is what the subtract reset removes: one value or one per neuron.
    let amount = "reset_amount needs reset = subtract (got reset = value)";
    check("  @sr z, v = SpikeReset(x) {reset_amount = 0.5}", (3, 3), amount);
    let sub = "  @sr z, v = SpikeReset(x) {reset = \"subtract\", reset_amount = [1, 2]}";
    check(sub, (3, 3), "node 'sr' (SpikeReset): reset_amount has 2 values but the layer has 3");
}

#[test]
fn literal_count_mismatch() {
    check(
        "  weight w: f32[2,3] = [[1, 2, 3], [4, 5]]",
        (3, 36),
        "axis 1 of f32[2,3] needs 3 entries, this list has 2",
    );
    check("  weight w: f32[2] = [1, 2, 3]", (3, 29), "too many elements: f32[2] has 2");
    check("  weight w: f32[2,2] = [1, 2, 3]", (3, 24), "needs 4 elements, found 3");
    check("  weight w: f32[2,2] = [[1, 2], [3, 4], [5, 6]]", (3, 41), "too many entries: axis 0");
    check("  weight w: f32[2] = [[1], [2]]", (3, 23), "unexpected '['");
    check("  weight w: f32[2,1] = [[1], 2]", (3, 30), "expected '[' (axis 1 of f32[2,1])");
    check("  weight w: i64[2] = [1, 2.5]", (3, 26), "number 2.5 is not valid as an integer (i64)");
    check("  weight w: bool[1] = [1]", (3, 24), "expected a bool (true or false), found number 1");
    check("  weight w: f32[2] = [1 2]", (3, 25), "expected ',' or ']', found number 2");
    check("  weight w: f32[] = ]", (3, 21), "expected an f32 number, found ']'");
    check("  weight w: f32[2] = 1.0", (3, 22), "expected '[' to start a tensor literal");
}

#[test]
fn absurd_declared_size() {
    check("  input big: f32[100000,100000,100000]", (3, 14), "has more than 2147483648 elements");
    check("  input big: f32[99999999999999999999999]", (3, 18), "expected a dimension");
    check("  weight w: f32[4294967296,4294967296,16] = [1]", (3, 13), "more than");
    check("  input h: f16[2]", (3, 12), "unknown dtype 'f16'");
}

#[test]
fn nesting_is_capped() {
    let dims = vec!["1"; 40].join(",");
    let line = format!("  weight w: f32[{dims}] = {}1{}", "[".repeat(40), "]".repeat(40));
    let col = line.find("= [").unwrap() + 3 + 32; // the 33rd '['
    check(&line, (3, col), "literal nested deeper than 32");
    // A huge run of brackets is refused early, without recursion.
    let line = format!("  weight w: f32[2,2] = {}", "[".repeat(1_000_000));
    check(&line, (3, 26), "unexpected '['");
}

#[test]
fn unterminated_string() {
    check("  z = Spike(x) {method = \"super}", (3, 26), "unterminated string");
    let (l, c, m) = err_src("graph %\"abc");
    assert_eq!((l, c, m.as_str()), (1, 8, "unterminated string"));
    check("  z = Spike(x) {method = \"a\\qb\"}", (3, 28), "unknown escape");
    check("  z = Spike(x) {method = \"\\u{110000}\"}", (3, 27), "bad \\u{...} escape");
}

#[test]
fn garbage_input() {
    check("  y = Neg(x) $", (3, 14), "unexpected character '$'");
    check("  y = Neg(x) \u{0}", (3, 14), "unexpected character '\\0'");
    check("  y = Neg(x) é", (3, 14), "unexpected character 'é'");
    check("  😀 y = Neg(x) %x", (3, 3), "unexpected character '😀'");
    check("  y = Neg(x) %x", (3, 14), "'%' must be followed by a quoted name");
    check("  y = Neg(x) @ n", (3, 14), "'@' must be followed by a node name");
    check("  y = Neg(x) 12abc", (3, 14), "invalid number '12abc'");
    check("  y = Neg(x) -foo", (3, 14), "invalid number '-foo'");
    check("  y = Neg(x) 1e+", (3, 14), "invalid number '1e+'");
    let (l, c, m) = err_src("");
    assert_eq!((l, c), (1, 1), "{m}");
    let (l, c, m) = err_src("graph g {\n  input x: f32[1]\n");
    assert_eq!((l, c, m.as_str()), (3, 1, "missing '}' at the end of the graph"));
    let (l, c, m) = err_src("graph g {\n}\n}");
    assert_eq!((l, c), (3, 1), "{m}");
    // Non-UTF-8 bytes in a file: an error at the first bad byte, not a panic.
    let dir = temp_dir("garbage");
    let path = dir.join("bad.snn");
    std::fs::write(&path, b"graph g {\n  input x: f32[2]\n  \xff\xfe y\n}\n").unwrap();
    let e = parse_file(&path).unwrap_err();
    assert_eq!(e.position(), Some((3, 3)));
    assert!(e.to_string().ends_with(":3:3: the file is not valid UTF-8 text"), "{e}");
    std::fs::write(&path, "graph g {\n  # é\u{1F600}\n  é\n}\n").unwrap();
    assert_eq!(parse_file(&path).unwrap_err().position(), Some((3, 3)));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn io_errors_name_the_file() {
    let e = parse_file(std::path::Path::new("/nonexistent/model.snn")).unwrap_err();
    assert!(matches!(e, TextError::Io { .. }));
    assert!(e.to_string().starts_with("/nonexistent/model.snn: "), "{e}");
    assert_eq!(e.position(), None);
}

fn npz_case(dir: &std::path::Path, line: &str) -> TextError {
    let path = dir.join("m.snn");
    std::fs::write(&path, format!("graph g {{\n  input x: f32[2]\n{line}\n}}\n")).unwrap();
    parse_file(&path).unwrap_err()
}

#[test]
fn npz_paths_stay_in_the_folder() {
    let root = temp_dir("npz-escape");
    let dir = root.join("sub");
    std::fs::create_dir_all(&dir).unwrap();
    let t = f32s(&[2], vec![1.0, 2.0]);
    snnc_arrays::write_npz(&root.join("w.npz"), &[("a", &t)]).unwrap();
    for p in ["../w.npz", "/tmp/w.npz", "./../sub/../w.npz", ""] {
        let e = npz_case(&dir, &format!("  weight w: f32[2] = npz(\"{p}\", \"a\")"));
        assert_eq!(e.position(), Some((3, 26)), "{e}");
        assert!(e.message().contains("leaves the folder of the text file"), "{e}");
    }
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(root.join("w.npz"), dir.join("link.npz")).unwrap();
        let e = npz_case(&dir, "  weight w: f32[2] = npz(\"link.npz\", \"a\")");
        assert_eq!(e.position(), Some((3, 26)), "{e}");
        assert!(e.message().contains("leaves the folder"), "{e}");
    }
    // Without a folder (parse_str with no base), npz(...) is refused.
    let src = "graph g {\n  weight w: f32[2] = npz(\"w.npz\", \"a\")\n}";
    let e = parse_str(src, None, "s.snn").unwrap_err();
    assert_eq!(e.position(), Some((2, 26)), "{e}");
    // A path inside the folder works, also from parse_str with a base folder.
    snnc_arrays::write_npz(&dir.join("w.npz"), &[("a", &t)]).unwrap();
    assert!(parse_str(src, Some(&dir), "s.snn").is_ok());
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn npz_keys_and_types_are_checked() {
    let dir = temp_dir("npz-key");
    let t = f32s(&[2], vec![1.0, 2.0]);
    snnc_arrays::write_npz(&dir.join("w.npz"), &[("a", &t), ("b", &t)]).unwrap();
    snnc_arrays::write_npz(&dir.join("m.npz"), &[("a", &t)]).unwrap();
    let e = npz_case(&dir, "  weight w: f32[2] = npz(\"w.npz\", \"nope\")");
    assert_eq!(e.position(), Some((3, 35)), "{e}");
    assert!(e.message().contains("'w.npz' has no array 'nope' (it has: a, b)"), "{e}");
    // The one-argument form reads <stem>.npz (m.npz for m.snn).
    let e = npz_case(&dir, "  weight w: f32[2] = npz(\"nope\")");
    assert_eq!(e.position(), Some((3, 26)), "{e}");
    assert!(e.message().contains("'m.npz' has no array 'nope'"), "{e}");
    let e = npz_case(&dir, "  weight w: f32[3] = npz(\"a\")");
    assert_eq!(e.position(), Some((3, 22)), "{e}");
    assert!(e.message().contains("array 'a' in 'm.npz' is f32[2], but f32[3] is declared"));
    let e = npz_case(&dir, "  weight w: f32[2] = npz(\"missing.npz\", \"a\")");
    assert_eq!(e.position(), Some((3, 26)), "{e}");
    let e = npz_case(&dir, "  weight w: f32[2] = npz(\"w.npz\", \"a\", \"c\")");
    assert_eq!(e.position(), Some((3, 40)), "{e}");
    let e = npz_case(&dir, "  weight w: f32[2] = npz()");
    assert_eq!(e.position(), Some((3, 26)), "{e}");
    std::fs::write(dir.join("junk.npz"), b"not a zip").unwrap();
    let e = npz_case(&dir, "  weight w: f32[2] = npz(\"junk.npz\", \"a\")");
    assert_eq!(e.position(), Some((3, 26)), "{e}");
    // Both references of one archive are served from one read.
    let ok = npz_case_ok(
        &dir,
        "  weight w: f32[2] = npz(\"m.npz\", \"a\")\n  weight v: f32[2] = npz(\"a\")",
    );
    assert_eq!(ok.initializers().len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

fn npz_case_ok(dir: &std::path::Path, lines: &str) -> snnc_ir::Graph {
    let path = dir.join("m.snn");
    std::fs::write(&path, format!("graph g {{\n{lines}\n}}\n")).unwrap();
    parse_file(&path).unwrap_or_else(|e| panic!("{e}"))
}
