//! print → parse gives the same graph, for the examples and for hand-built graphs.

mod common;

use common::*;
use snnc_ir::{DType, Graph, Op, TensorType};
use snnc_text::{parse_file, parse_str, print, write_file};

fn roundtrip(g: &Graph) -> String {
    let text = print(g);
    let back = parse_str(&text, None, "printed.snn").unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_same(g, &back);
    assert_eq!(print(&back), text, "printing is a fixpoint");
    text
}

#[test]
fn every_example_round_trips() {
    let files = example_files();
    assert!(files.len() >= 4, "examples missing: {files:?}");
    for f in files {
        let g = parse_file(&f).unwrap_or_else(|e| panic!("{e}"));
        snnc_ir::verify(&g).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        roundtrip(&g);
    }
}

#[test]
fn every_op_dtype_and_name_round_trips() {
    let g = all_ops_graph();
    snnc_ir::verify(&g).unwrap();
    let mut seen: Vec<&str> = g.nodes().iter().map(|n| n.op.name()).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), snnc_text::OP_NAMES.len(), "the test graph covers every op");
    let text = roundtrip(&g);
    // Spot checks of the printed form.
    assert!(text.starts_with("graph %\"all ops \\\"graph\\\"\" {\n"), "{text}");
    assert!(text.contains("weight %\"input\": f32[3] = [0.5, -1.5, 2.25]"), "{text}");
    assert!(
        text.contains(
            "@\"/fc1/Gemm\" val_12 = Gemm(%\"/fc1/Gemm_output_0\", %\"onnx::Gemm_0\", %\"input\")"
        ),
        "{text}"
    );
    assert!(text.contains("@Add_7 %\"inf\" = Add(%\"_\", %\"input\")"), "{text}");
    assert!(text.contains("[[inf, -inf, nan, -nan],"), "{text}");
    assert!(text.contains("[0x7fc00001, 0xff800001, 0.33333334, 123456790.0]]]}"), "{text}");
    assert!(text.contains("\n  @dead Neg(%\"/fc1/Gemm_output_0\")\n"), "{text}");
    assert!(text.contains("_ = Neg("), "{text}");
    assert!(text.contains("input %\"tab\\there\": i64[2]"), "{text}");
}

#[test]
fn default_node_names_are_not_printed() {
    let mut g = Graph::new("g");
    let x = g.add_input("x", TensorType::new(DType::F32, vec![2])).unwrap();
    g.add_node("", Op::Neg, vec![Some(x)], &[Some("y")]).unwrap();
    g.add_node("n1", Op::Relu, vec![Some(x)], &[Some("z")]).unwrap();
    let text = roundtrip(&g);
    assert_eq!(
        text,
        "graph g {\n  input x: f32[2]\n  y = Neg(x)  # f32[2]\n  @n1 z = Relu(x)  # f32[2]\n}\n"
    );
}

#[test]
fn empty_graph_and_graph_without_outputs_round_trip() {
    roundtrip(&Graph::new(""));
    roundtrip(&Graph::new("graph"));
    let mut g = Graph::new("only_inputs");
    g.add_input("a", TensorType::new(DType::Bool, vec![0])).unwrap();
    roundtrip(&g);
}

#[test]
fn write_file_splits_large_tensors_into_npz() {
    let g = all_ops_graph();
    for (limit, expect_npz) in [(0, true), (8, true), (usize::MAX, false)] {
        let dir = temp_dir(&format!("write-{limit}"));
        let path = dir.join("model.snn");
        write_file(&g, &path, limit).unwrap();
        let npz = dir.join("model.npz");
        assert_eq!(npz.exists(), expect_npz, "limit {limit}");
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.contains("npz(\"model.npz\""), expect_npz);
        let back = parse_file(&path).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_same(&g, &back);
        if limit == 8 {
            // Small tensors stay inline, large ones (also Constant values) move out.
            assert!(text.contains("weight %\"input\": f32[3] = [0.5, -1.5, 2.25]"));
            assert!(text.contains("weight w_big: f32[3,40] = npz(\"model.npz\", \"w_big\")"));
            assert!(text.contains("value = i64[40] npz(\"model.npz\", \"const10\")"), "{text}");
            let keys: Vec<String> =
                snnc_arrays::read_npz(&npz).unwrap().into_iter().map(|(k, _)| k).collect();
            assert_eq!(keys, ["const0", "const1", "const10", "w", "r", "w_f64", "w_big"]);
        }
        // Written again from the parsed graph, the files are the same.
        let path2 = dir.join("again.snn");
        write_file(&back, &path2, limit).unwrap();
        let text2 = std::fs::read_to_string(&path2).unwrap();
        assert_eq!(text.replace("model.npz", "again.npz"), text2);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn flexible_input_forms_parse() {
    // Flat literal for a matrix, integer text for floats, trailing commas, attribute defaults,
    // `surrogate = "m:a"`, comments, CRLF line ends, and one-line statements.
    let src = "\u{feff}# header\r\ngraph %\"g 1\" {\r\n  input x: f32[2,2]\r\n\
        weight w: f32[2,2] = [1, 2.5, -3e-1, 4,]  # flat\r\n\
        weight s: f32[] = -0.0 weight b: bool[2] = [true, false]\r\n\
        y = Gemm(x, w)  z = Spike(y) {surrogate = \"tanh:2\"} @n v = IAFFeedForwardStep(x, y) {v_th = [1, 2,],}\r\n\
        output z, y\r\n}\r\n";
    let g = parse_str(src, None, "flex.snn").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(g.name(), "g 1");
    let w = g.initializer(g.find("w").unwrap()).unwrap();
    assert_eq!(w.as_f32_vec().unwrap(), vec![1.0, 2.5, -0.3, 4.0]);
    let s = g.initializer(g.find("s").unwrap()).unwrap().as_f32_vec().unwrap();
    assert_eq!(s[0].to_bits(), (-0.0f32).to_bits());
    let gemm = &g.nodes()[0].op;
    assert_eq!(gemm, &Op::Gemm { alpha: 1.0, beta: 1.0, trans_a: false, trans_b: false });
    match &g.nodes()[1].op {
        Op::Spike { surrogate } => assert_eq!(surrogate.to_string(), "tanh:2"),
        other => panic!("{other:?}"),
    }
    match &g.nodes()[2].op {
        Op::IafFeedForwardStep(p) => {
            assert_eq!(p.v_th, vec![1.0, 2.0]);
            assert_eq!(p.v_reset, vec![0.0]);
            assert_eq!(p.order, snnc_ir::Order::FireThenIntegrate);
            assert_eq!(p.surrogate.to_string(), "super:100");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(g.nodes()[2].name, "n");
    assert_eq!(g.nodes()[2].outputs.len(), 1);
    roundtrip(&g);
}

#[test]
fn keywords_can_name_values_in_node_statements() {
    let src = "graph g { input x: f32[1,1] input = Neg(x) output, weight = IAFFeedForwardStep(input, x) output output, weight }";
    let g = parse_str(src, None, "kw.snn").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(g.outputs().len(), 2);
    roundtrip(&g);
}

#[test]
fn npz_keys_are_sanitized_and_unique() {
    let mut g = Graph::new("k");
    for name in ["a/b c", "a_b_c", "", "é"] {
        let name = if name.is_empty() { "x" } else { name };
        g.add_initializer(name, f32s(&[2], vec![1.0, 2.0])).unwrap();
    }
    let dir = temp_dir("keys");
    let path = dir.join("k.snn");
    write_file(&g, &path, 1).unwrap();
    let keys: Vec<String> =
        snnc_arrays::read_npz(&dir.join("k.npz")).unwrap().into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["a_b_c", "a_b_c_2", "x", "_"]);
    assert_same(&g, &parse_file(&path).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn declarations_used_only_by_output_less_nodes_come_first() {
    let mut g = Graph::new("g");
    let t = TensorType::new(DType::F32, vec![2]);
    let x = g.add_input("x", t.clone()).unwrap();
    g.add_node("", Op::Neg, vec![Some(x)], &[Some("a")]).unwrap();
    let y = g.add_input("y", t.clone()).unwrap();
    g.add_node("", Op::Neg, vec![Some(y)], &[None]).unwrap();
    let w = g.add_initializer("w", f32s(&[2], vec![1.0, 2.0])).unwrap();
    g.add_node("", Op::Relu, vec![Some(w)], &[]).unwrap();
    g.add_input("late", t).unwrap();
    let text = roundtrip(&g);
    assert!(text.contains("input y: f32[2]\n  _ = Neg(y)\n  weight w"), "{text}");
}

#[test]
fn fused_ops_parse_with_defaults_and_listings_elide_weights() {
    let text = "graph g {
  input x: f32[5,2,3]
  weight w: f32[4,3] = [1,2,3,4,5,6,7,8,9,10,11,12]
  y = Linear(x, w)
  z, v = SpikeReset(y) {v_th = [1, 2, 3, 4], surrogate = \"triangle:2\"}
  output z, v
}";
    let g = snnc_text::parse_str(text, None, "t.snn").unwrap();
    assert_eq!(g.nodes()[0].op, Op::Linear { trans_b: true });
    let listing = snnc_text::print_elided(&g, 4);
    assert!(listing.contains("weight w: f32[4,3] = ... (12 values)"), "{listing}");
    assert!(listing.contains("v_reset = 0.0, method = \"triangle\", alpha = 2.0"), "{listing}");
    roundtrip(&g);
}
