//! Every real `.nir` file of the NIR paper (../../../shared/nir, mirrored under models/nir).

use std::path::PathBuf;

use snnc_nir::{load_nir, read_nir, NirError, NirOptions, NodeKind};

fn file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/nir").join(name)
}

fn opts(steps: usize) -> NirOptions {
    NirOptions { steps, batch: 2, ..NirOptions::default() }
}

#[test]
fn importable_files_lower_and_verify() {
    for (name, inputs, outputs) in [
        ("lif_norse.nir", vec![("input", vec![5, 2, 1])], vec![("output", vec![5, 2, 1])]),
        ("lif_rockpool.nir", vec![("input", vec![5, 2, 1])], vec![("output", vec![5, 2, 1])]),
        ("two_lif_neurons.nir", vec![("in", vec![5, 2, 1])], vec![("out", vec![5, 2, 1])]),
        (
            "braille_noDelay_bias_zero.nir",
            vec![("input", vec![5, 2, 12])],
            vec![("output", vec![5, 2, 7])],
        ),
        (
            "braille_noDelay_noBias_subtract.nir",
            vec![("input", vec![5, 2, 12])],
            vec![("output", vec![5, 2, 7])],
        ),
    ] {
        let g = load_nir(&file(name), &opts(5)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let sig = |ids: &[snnc_ir::ValueId]| -> Vec<(String, Vec<usize>)> {
            ids.iter().map(|&i| (g.value(i).name.clone(), g.ty(i).shape.clone())).collect()
        };
        let want = |v: Vec<(&str, Vec<usize>)>| -> Vec<(String, Vec<usize>)> {
            v.into_iter().map(|(n, s)| (n.to_string(), s)).collect()
        };
        assert_eq!(sig(g.inputs()), want(inputs), "{name}");
        assert_eq!(sig(g.outputs()), want(outputs), "{name}");
    }
}

#[test]
fn braille_weights_are_initializers_named_after_nodes() {
    let g = load_nir(&file("braille_noDelay_bias_zero.nir"), &opts(3)).unwrap();
    let mut names: Vec<(String, Vec<usize>)> = g
        .initializers()
        .keys()
        .map(|&i| (g.value(i).name.clone(), g.ty(i).shape.clone()))
        .collect();
    names.sort();
    let want = [
        ("fc1.bias", vec![38]),
        ("fc1.weight", vec![38, 12]),
        ("fc2.bias", vec![7]),
        ("fc2.weight", vec![7, 38]),
        ("lif1.w_rec.bias", vec![38]),
        ("lif1.w_rec.weight", vec![38, 38]),
    ];
    let want: Vec<(String, Vec<usize>)> =
        want.iter().map(|(n, s)| (n.to_string(), s.clone())).collect();
    assert_eq!(names, want);
}

#[test]
fn subgraph_files_are_refused_naming_the_missing_node() {
    for name in
        ["braille_noDelay_bias_zero_subgraph.nir", "braille_noDelay_noBias_subtract_subgraph.nir"]
    {
        let parsed = read_nir(&file(name)).expect("the nodes themselves parse");
        assert!(matches!(parsed.graph.nodes["lif1"], NodeKind::Graph(_)));
        let err = load_nir(&file(name), &opts(3)).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, NirError::Graph { ref graph, .. } if graph == "lif1"), "{msg}");
        assert!(msg.contains(name) && msg.contains("node 'lif', which does not exist"), "{msg}");
    }
}

#[test]
fn cnn_parses_with_its_shapes_but_lowering_refuses_convolutions() {
    let nir = read_nir(&file("cnn_sinabs.nir")).unwrap();
    assert_eq!(nir.version, "0.2.0");
    let g = &nir.graph;
    assert_eq!(g.nodes.len(), 15);
    assert_eq!(g.edges.len(), 14);
    let kinds: Vec<(&str, &str)> = g.nodes.iter().map(|(n, k)| (n.as_str(), k.name())).collect();
    for (n, k) in [
        ("0", "Conv2d"),
        ("1", "IF"),
        ("4", "SumPool2d"),
        ("8", "Flatten"),
        ("11", "Affine"),
        ("input", "Input"),
    ] {
        assert!(kinds.contains(&(n, k)), "{n} {k} in {kinds:?}");
    }
    let NodeKind::Conv(c) = &g.nodes["0"] else { panic!("node 0 is {:?}", g.nodes["0"]) };
    assert_eq!(c.weight.shape, vec![16, 2, 5, 5]);
    assert_eq!((c.stride.clone(), c.padding.clone(), c.groups), (vec![2, 2], vec![1, 1], 1));
    assert_eq!(c.output_shape(&[2, 34, 34]).unwrap(), vec![16, 16, 16]);
    let NodeKind::Pool(p) = &g.nodes["4"] else { panic!() };
    assert_eq!(p.output_shape(&[16, 16, 16]).unwrap(), vec![16, 8, 8]);
    let NodeKind::Flatten(f) = &g.nodes["8"] else { panic!() };
    assert_eq!(f.output_shape(&[8, 4, 4]).unwrap(), vec![128]);
    let NodeKind::Neuron(n) = &g.nodes["1"] else { panic!() };
    assert_eq!(n.shape(), &[16, 16, 16]);
    let NodeKind::Input(i) = &g.nodes["input"] else { panic!() };
    assert_eq!(i.shape, vec![2, 34, 34]);
    assert_eq!(c.padding_end, vec![1, 1]);
    // Lowered per step to Conv / SumPool / Reshape: tests/cnn.rs runs it.
    let g = load_nir(&file("cnn_sinabs.nir"), &opts(3)).unwrap();
    let out: Vec<Vec<usize>> = g.outputs().iter().map(|&i| g.ty(i).shape.clone()).collect();
    assert_eq!(out, vec![vec![3, 2, 10]]);
}

#[test]
fn float64_parameters_are_read() {
    let nir = read_nir(&file("two_lif_neurons.nir")).unwrap();
    let NodeKind::Neuron(n) = &nir.graph.nodes["lif1"] else { panic!() };
    assert_eq!(n.v_leak.as_ref().unwrap().data, vec![1.2f32]);
    assert_eq!(n.v_reset.as_ref().unwrap().data, vec![0.0]);
    assert_eq!(n.tau_mem.as_ref().unwrap().data, vec![0.01f32]);
}
