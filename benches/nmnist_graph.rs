// The N-MNIST network and inputs shared by `models.rs` and the profiling example.

const T: usize = 100;
const B: usize = 16;
const I: usize = 2312;
const H: usize = 512;
const O: usize = 10;

fn lcg(seed: u64) -> impl FnMut() -> f32 {
    let mut s = seed;
    move || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (s >> 40) as f32 / (1u64 << 24) as f32
    }
}

fn array(shape: &[usize], mut f: impl FnMut() -> f32) -> Tensor {
    let n = shape.iter().product();
    Tensor::F32(ArrayD::from_shape_vec(IxDyn(shape), (0..n).map(|_| f()).collect()).unwrap())
}

fn uniform(shape: &[usize], lo: f32, hi: f32, seed: u64) -> Tensor {
    let mut r = lcg(seed);
    array(shape, || lo + (hi - lo) * r())
}

/// The N-MNIST network as the optimizer leaves it.
fn nmnist() -> Graph {
    let mut g = Graph::new("nmnist");
    let x = g.add_input("x", TensorType::new(DType::F32, vec![T, B, I])).unwrap();
    let w1 = g.add_initializer("fc1.weight", uniform(&[H, I], -0.04, 0.043, 1)).unwrap();
    let b1 = g.add_initializer("fc1.bias", uniform(&[H], -0.05, 0.05, 2)).unwrap();
    let w2 = g.add_initializer("fc2.weight", uniform(&[O, H], -0.1, 0.2, 3)).unwrap();
    let b2 = g.add_initializer("fc2.bias", uniform(&[O], -0.05, 0.05, 4)).unwrap();
    let p = IafParams { order: Order::IntegrateThenFire, ..IafParams::default() };
    let lin = Op::Linear { trans_b: true };
    let h = g.add_node("fc1", lin, vec![Some(x), Some(w1), Some(b1)], &[Some("h")]).unwrap();
    let z = g.add_node("lif1", Op::Iaf(p.clone()), vec![h[0]], &[Some("z")]).unwrap();
    let spk = Op::SpikeLinear { trans_b: true };
    let h2 = g.add_node("fc2", spk, vec![z[0], Some(w2), Some(b2)], &[Some("h2")]).unwrap();
    let out =
        g.add_node("lif2", Op::Iaf(p), vec![h2[0]], &[Some("spikes"), Some("v_final")]).unwrap();
    g.add_output(out[0].unwrap()).unwrap();
    g.add_output(out[1].unwrap()).unwrap();
    g
}

fn inputs(spikes: bool) -> Vec<(String, Tensor)> {
    let mut r = lcg(7);
    let x = if spikes {
        array(&[T, B, I], || if r() < 0.05 { 1.0 } else { 0.0 })
    } else {
        array(&[T, B, I], &mut r)
    };
    vec![("x".to_string(), x)]
}

fn grad_outputs() -> Vec<(String, Tensor)> {
    vec![("spikes".to_string(), uniform(&[T, B, O], -1.0, 1.0, 9))]
}
