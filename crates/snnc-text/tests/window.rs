//! The window ops (Conv, SumPool, AveragePool, MaxPool) in the text IR: parse, print, errors.

use snnc_ir::{ConvSpec, Op, PoolKind, PoolSpec};
use snnc_text::{parse_str, print};

const CNN: &str = r#"graph cnn {
  input x: f32[2,4,2,10,10]
  weight w: f32[4,2,3,3] = npz_free
  c = Conv(x, w) {strides = [2, 2], pads = [1, 1, 0, 0], dilations = [1, 1], group = 1}
  s = SumPool(c) {kernel_shape = [2, 2], strides = [2, 2]}
  a = AveragePool(c) {kernel_shape = [3, 3], pads = [1, 1, 1, 1], count_include_pad = true}
  m = MaxPool(a) {kernel_shape = [2, 1]}
  f = Reshape(s) {shape = [2, 4, -1]}
  output f, m
}
"#;

fn src() -> String {
    let w = vec!["0.5"; 4 * 2 * 9].join(", ");
    CNN.replace("npz_free", &format!("[{w}]"))
}

#[test]
fn parses_infers_and_round_trips() {
    let g = parse_str(&src(), None, "cnn.snn").unwrap();
    snnc_ir::verify(&g).unwrap();
    let ty = |n: &str| g.ty(g.find(n).unwrap()).shape.clone();
    assert_eq!(ty("c"), vec![2, 4, 4, 5, 5]);
    assert_eq!(ty("s"), vec![2, 4, 4, 2, 2]);
    assert_eq!(ty("a"), vec![2, 4, 4, 5, 5]);
    assert_eq!(ty("m"), vec![2, 4, 4, 4, 5]);
    assert_eq!(ty("f"), vec![2, 4, 16]);
    assert_eq!(
        g.nodes()[0].op,
        Op::Conv(ConvSpec {
            strides: vec![2, 2],
            pads: vec![1, 1, 0, 0],
            dilations: vec![1, 1],
            group: 1
        })
    );
    assert_eq!(
        g.nodes()[2].op,
        Op::Pool(PoolSpec {
            kind: PoolKind::Avg { count_include_pad: true },
            kernel: vec![3, 3],
            strides: vec![],
            pads: vec![1, 1, 1, 1]
        })
    );
    let text = print(&g);
    assert!(
        text.contains("SumPool(c) {kernel_shape = [2, 2], strides = [2, 2], pads = []}"),
        "{text}"
    );
    let back = parse_str(&text, None, "printed.snn").unwrap();
    assert!(snnc_text::graphs_equal(&g, &back));
    assert_eq!(print(&back), text);
}

#[test]
fn errors_point_at_the_cause() {
    let bad = [
        ("{strides = [-1, 1]}", "'strides' must not be negative"),
        ("{group = 2}", "C/group"),
        ("{kernel = [2]}", "unknown attribute 'kernel'"),
    ];
    for (attrs, msg) in bad {
        let s = src().replace(
            "{strides = [2, 2], pads = [1, 1, 0, 0], dilations = [1, 1], group = 1}",
            attrs,
        );
        let e = parse_str(&s, None, "t.snn").unwrap_err().to_string();
        assert!(e.contains(msg) && e.starts_with("t.snn:"), "{e}");
    }
    let s = src().replace("{kernel_shape = [2, 1]}", "{}");
    let e = parse_str(&s, None, "t.snn").unwrap_err().to_string();
    assert!(e.contains("missing attribute 'kernel_shape'"), "{e}");
    let s = src().replace(
        "{kernel_shape = [2, 2], strides = [2, 2]}",
        "{kernel_shape = [2, 2], count_include_pad = true}",
    );
    let e = parse_str(&s, None, "t.snn").unwrap_err().to_string();
    assert!(e.contains("unknown attribute 'count_include_pad' for SumPool"), "{e}");
}
