//! The NIR paper's sinabs CNN (models/nir/cnn_sinabs.nir, N-MNIST 2×34×34): Conv2d, SumPool2d
//! and Flatten lower to the IR's Conv, SumPool and Reshape per step, and the reference
//! interpreter agrees with a plain loop implementation of the network written here from NIR's
//! definitions (PyTorch's Conv2d and sinabs' SumPool2d, IF with reset to v_reset).

use std::collections::HashMap;
use std::path::PathBuf;

use ndarray::{ArrayD, IxDyn};
use snnc_ir::Tensor;
use snnc_nir::{load_nir, read_nir, ConvNode, NirOptions, NodeKind, PoolNode};

const T: usize = 12;
const B: usize = 2;

fn file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/nir/cnn_sinabs.nir")
}

/// A reproducible input `[T, B, 2, 34, 34]` with about 5 % ones.
fn input() -> Vec<f32> {
    let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..T * B * 2 * 34 * 34)
        .map(|_| {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            f32::from(u8::from((s >> 33) % 100 < 5))
        })
        .collect()
}

/// One sample's feature map: shape and values.
#[derive(Clone)]
struct Map {
    shape: Vec<usize>,
    data: Vec<f64>,
}

fn conv(c: &ConvNode, x: &Map) -> Map {
    let out = c.output_shape(&x.shape).unwrap();
    let (cin, h, w) = (x.shape[0], x.shape[1] as i64, x.shape[2] as i64);
    let k = &c.weight.shape;
    let (m, cpg, kh, kw) = (k[0], k[1], k[2], k[3]);
    let (oh, ow) = (out[1], out[2]);
    let per = m / c.groups as usize;
    let mut y = vec![0.0; m * oh * ow];
    for o in 0..m {
        let g = o / per;
        for i in 0..oh {
            for j in 0..ow {
                let mut s = f64::from(c.bias.data[o]);
                for ci in 0..cpg {
                    let ch = g * cpg + ci;
                    assert!(ch < cin);
                    for a in 0..kh {
                        for b in 0..kw {
                            let r =
                                i as i64 * c.stride[0] - c.padding[0] + a as i64 * c.dilation[0];
                            let q =
                                j as i64 * c.stride[1] - c.padding[1] + b as i64 * c.dilation[1];
                            if r < 0 || q < 0 || r >= h || q >= w {
                                continue;
                            }
                            let xv =
                                x.data[(ch * h as usize + r as usize) * w as usize + q as usize];
                            let wv = c.weight.data[((o * cpg + ci) * kh + a) * kw + b];
                            s += xv * f64::from(wv);
                        }
                    }
                }
                y[(o * oh + i) * ow + j] = s;
            }
        }
    }
    Map { shape: out, data: y }
}

fn sum_pool(p: &PoolNode, x: &Map) -> Map {
    assert!(!p.average && p.padding == [0, 0]);
    let out = p.output_shape(&x.shape).unwrap();
    let (h, w) = (x.shape[1], x.shape[2]);
    let (oh, ow) = (out[1], out[2]);
    let mut y = vec![0.0; out[0] * oh * ow];
    for c in 0..out[0] {
        for i in 0..oh {
            for j in 0..ow {
                let mut s = 0.0;
                for a in 0..p.kernel_size[0] as usize {
                    for b in 0..p.kernel_size[1] as usize {
                        let (r, q) = (i * p.stride[0] as usize + a, j * p.stride[1] as usize + b);
                        s += x.data[(c * h + r) * w + q];
                    }
                }
                y[(c * oh + i) * ow + j] = s;
            }
        }
    }
    Map { shape: out, data: y }
}

/// The network run sample by sample and step by step: the output spikes `[T, B, 10]` and each
/// IF node's potential after every step, `[T, B, ...]` flattened, by `<node>.v`, and the
/// number of spikes of each IF node.
/// What [`reference`] returns: output spikes, potentials by `<node>.v`, spike counts by node.
type Reference = (Vec<f64>, HashMap<String, Vec<f64>>, HashMap<String, usize>);

fn reference() -> Reference {
    let nir = read_nir(&file()).unwrap();
    let nodes = &nir.graph.nodes;
    let chain: Vec<String> = (0..=12).map(|i| i.to_string()).collect();
    let x = input();
    let per = 2 * 34 * 34;
    let mut state: HashMap<String, Vec<f64>> = HashMap::new();
    let mut fired: HashMap<String, usize> = HashMap::new();
    let mut pots: HashMap<String, Vec<f64>> = HashMap::new();
    let mut out = Vec::new();
    for t in 0..T {
        for b in 0..B {
            let start = (t * B + b) * per;
            let mut m = Map {
                shape: vec![2, 34, 34],
                data: x[start..start + per].iter().map(|&v| f64::from(v)).collect(),
            };
            for name in &chain {
                m = match &nodes[name] {
                    NodeKind::Conv(c) => conv(c, &m),
                    NodeKind::Pool(p) => sum_pool(p, &m),
                    NodeKind::Flatten(_) => Map { shape: vec![m.data.len()], data: m.data },
                    NodeKind::Affine(a) => {
                        let (o, i) = (a.weight.shape[0], a.weight.shape[1]);
                        assert_eq!(i, m.data.len());
                        let bias = a.bias.as_ref().unwrap();
                        let data = (0..o)
                            .map(|r| {
                                f64::from(bias.data[r])
                                    + (0..i)
                                        .map(|c| f64::from(a.weight.data[r * i + c]) * m.data[c])
                                        .sum::<f64>()
                            })
                            .collect();
                        Map { shape: vec![o], data }
                    }
                    NodeKind::Neuron(n) => {
                        assert_eq!(n.kind.name(), "IF");
                        let key = format!("{name}/{b}");
                        let v = state.entry(key).or_insert_with(|| vec![0.0; m.data.len()]);
                        let th = n.v_threshold.as_ref().unwrap();
                        let reset = n.v_reset.as_ref().unwrap();
                        let mut z = vec![0.0; v.len()];
                        for k in 0..v.len() {
                            let vh = v[k] + f64::from(n.r.data[k]) * m.data[k];
                            let fire = vh - f64::from(th.data[k]) > 0.0;
                            z[k] = f64::from(u8::from(fire));
                            v[k] = if fire { f64::from(reset.data[k]) } else { vh };
                        }
                        *fired.entry(name.clone()).or_default() +=
                            z.iter().filter(|&&f| f > 0.0).count();
                        pots.entry(format!("{name}.v")).or_default().extend_from_slice(v);
                        Map { shape: m.shape, data: z }
                    }
                    other => panic!("node {name}: {}", other.name()),
                };
            }
            out.extend_from_slice(&m.data);
        }
    }
    (out, pots, fired)
}

#[test]
fn sinabs_cnn_lowers_with_per_sample_shapes() {
    let o = NirOptions { steps: T, batch: B, ..NirOptions::default() };
    let g = load_nir(&file(), &o).unwrap();
    let sig: Vec<(String, Vec<usize>)> =
        g.outputs().iter().map(|&i| (g.value(i).name.clone(), g.ty(i).shape.clone())).collect();
    assert_eq!(sig, vec![("output".to_string(), vec![T, B, 10])]);
    let ins: Vec<Vec<usize>> = g.inputs().iter().map(|&i| g.ty(i).shape.clone()).collect();
    assert_eq!(ins, vec![vec![T, B, 2, 34, 34]]);
    let mut w: Vec<(String, Vec<usize>)> = g
        .initializers()
        .keys()
        .map(|&i| (g.value(i).name.clone(), g.ty(i).shape.clone()))
        .filter(|(n, _)| ["0.", "2.", "5."].iter().any(|p| n.starts_with(p)))
        .collect();
    w.sort();
    assert_eq!(
        w,
        [
            ("0.bias", vec![16]),
            ("0.weight", vec![16, 2, 5, 5]),
            ("2.bias", vec![16]),
            ("2.weight", vec![16, 16, 3, 3]),
            ("5.bias", vec![8]),
            ("5.weight", vec![8, 16, 3, 3]),
        ]
        .map(|(n, s)| (n.to_string(), s))
    );
    let convs = g.nodes().iter().filter(|n| n.op.name() == "Conv").count();
    let pools = g.nodes().iter().filter(|n| n.op.name() == "SumPool").count();
    assert_eq!((convs, pools), (3 * T, 2 * T), "one Conv per layer and step");
}

#[test]
fn sinabs_cnn_matches_a_plain_loop_reference_and_its_if_layers_fire() {
    let x = input();
    let density = x.iter().sum::<f32>() / x.len() as f32;
    assert!((0.04..0.06).contains(&density), "{density}");
    let o = NirOptions { steps: T, batch: B, potentials: true, ..NirOptions::default() };
    let g = load_nir(&file(), &o).unwrap();
    let xt = ArrayD::from_shape_vec(IxDyn(&[T, B, 2, 34, 34]), x).unwrap();
    let got = snnc_interp::run(&g, &[("input".into(), Tensor::F32(xt))]).unwrap();
    let by_name: HashMap<&str, &Tensor> = got.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let (want_out, want_pots, fired) = reference();
    for node in ["1", "3", "6", "10", "12"] {
        assert!(fired[node] > 0, "IF node {node} never fires: {fired:?}");
    }
    let flat = |t: &Tensor| -> Vec<f64> { t.to_f64().iter().copied().collect() };
    let out = flat(by_name["output"]);
    assert_eq!(by_name["output"].shape(), &[T, B, 10]);
    let differ = out.iter().zip(&want_out).filter(|(a, b)| a != b).count();
    assert_eq!(differ, 0, "output spikes differ in {differ} places");
    for node in ["1", "3", "6", "10", "12"] {
        let key = format!("{node}.v");
        let (got, want) = (flat(by_name[key.as_str()]), &want_pots[&key]);
        assert_eq!(got.len(), want.len(), "{key}");
        let worst = got.iter().zip(want).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(worst < 1e-3, "{key}: potentials differ by {worst}");
    }
}

fn run_one(name: &str, shape: &[usize], x: Vec<f32>) -> Tensor {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/nir").join(name);
    let g = load_nir(&path, &NirOptions { steps: 1, batch: 1, ..NirOptions::default() }).unwrap();
    let xt = ArrayD::from_shape_vec(IxDyn(shape), x).unwrap();
    let mut out = snnc_interp::run(&g, &[("input".into(), Tensor::F32(xt))]).unwrap();
    out.remove(0).1
}

#[test]
fn conv1d_padding_same_pads_as_pytorch() {
    // k = 4: 'same' pads 3, one before and two after (PyTorch's split).
    let nir = read_nir(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/nir/conv1d_same.nir"),
    )
    .unwrap();
    let NodeKind::Conv(c) = &nir.graph.nodes["c"] else { panic!() };
    assert_eq!((c.padding.clone(), c.padding_end.clone()), (vec![1], vec![2]));
    let x: Vec<f32> = (1..=6).map(|v| v as f32).collect();
    let y = run_one("conv1d_same.nir", &[1, 1, 1, 6], x.clone());
    assert_eq!(y.shape(), &[1, 1, 1, 6]);
    let w = [0.0, 0.1, 0.2, 0.3];
    let want: Vec<f64> = (0..6i64)
        .map(|i| {
            0.5 + (0..4i64)
                .filter(|j| (0..6).contains(&(i - 1 + j)))
                .map(|j| f64::from(x[(i - 1 + j) as usize]) * w[j as usize])
                .sum::<f64>()
        })
        .collect();
    for (a, b) in y.to_f64().iter().zip(&want) {
        assert!((a - b).abs() < 1e-5, "{:?} vs {want:?}", y.to_f64());
    }
}

#[test]
fn avgpool2d_counts_the_padding_in_the_divisor() {
    let x: Vec<f32> = (1..=9).map(|v| v as f32).collect();
    let y = run_one("avgpool_pad.nir", &[1, 1, 1, 3, 3], x.clone());
    assert_eq!(y.shape(), &[1, 1, 1, 4, 4]);
    let at = |r: i64, c: i64| {
        if (0..3).contains(&r) && (0..3).contains(&c) {
            f64::from(x[(r * 3 + c) as usize])
        } else {
            0.0
        }
    };
    let y = y.to_f64();
    for i in 0..4i64 {
        for j in 0..4i64 {
            let want = (at(i - 1, j - 1) + at(i - 1, j) + at(i, j - 1) + at(i, j)) / 4.0;
            let got = y.iter().nth((i * 4 + j) as usize).copied().unwrap();
            assert!((got - want).abs() < 1e-6, "({i}, {j}): {got} vs {want}");
        }
    }
}
