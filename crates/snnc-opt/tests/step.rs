//! The step rules: one whole integrate-and-fire step, both orders, feed-forward and recurrent.

mod common;

use common::*;

const RESET: &str = "{v_th = 1.0, v_reset = 0.0, surrogate = \"super:100\"}";

fn ff(body: &str) -> String {
    format!("graph t {{\n input v: f32[2,3]\n input x: f32[2,3]\n {body}\n output vn, z\n}}")
}

#[test]
fn integrate_then_fire_feed_forward() {
    let pos = ff(&format!("vh = Add(v, x)\n z, vn = SpikeReset(vh) {RESET}"));
    let neg = ff(&format!("vh = Mul(v, x)\n z, vn = SpikeReset(vh) {RESET}"));
    check(&["step-ff-itf"], "(proj:1 (ffstep:itf:1:0:super:100 input:1 input:0))", &pos, &neg);
    assert!(reaches(
        &pos,
        &["step-ff-itf"],
        1,
        "(proj:0 (ffstep:itf:1:0:super:100 input:1 input:0))"
    ));
}

#[test]
fn fire_then_integrate_feed_forward() {
    let pos = ff(&format!("z, vh = SpikeReset(v) {RESET}\n vn = Add(vh, x)"));
    let neg = ff(&format!("z, vh = SpikeReset(v) {RESET}\n vn = Sub(vh, x)"));
    check(&["step-ff-fti"], "(proj:1 (ffstep:fti:1:0:super:100 input:1 input:0))", &pos, &neg);
    assert!(reaches(
        &pos,
        &["step-ff-fti"],
        1,
        "(proj:0 (ffstep:fti:1:0:super:100 input:1 input:0))"
    ));
}

fn rec(state: &str, body: &str) -> String {
    format!(
        "graph t {{
  input v: f32[2,4]
  input x: f32[2,3]
  input zin: f32[2,4]
  weight w: f32[4,3] = [1,2,3,4,5,6,7,8,9,10,11,12]
  weight r: f32[4,4] = [1,0,0,0,0,1,0,0,0,0,1,0,0,0,0,1]
  {state}
  wx = Gemm(x, w) {{trans_b = true}}
  rz = Gemm(zp, r) {{trans_b = true}}
  {body}
  output vn, z
}}"
    )
}

#[test]
fn integrate_then_fire_recurrent() {
    let body = format!("a = Add(v, wx)\n vh = Add(a, rz)\n z, vn = SpikeReset(vh) {RESET}");
    let spikes = "zp = Spike(zin) {surrogate = \"super:100\"}";
    // The recurrent term must read the previous step's spikes: a plain input is not.
    let goal = "(proj:1 (recstep:itf:1:0:super:100 input:1 ?z input:0 ?w ?r))";
    check(&["step-rec-itf"], goal, &rec(spikes, &body), &rec("zp = Identity(zin)", &body));
}

#[test]
fn fire_then_integrate_recurrent() {
    let body = format!("z, vh = SpikeReset(v) {RESET}\n a = Add(vh, wx)\n vn = Add(a, rz)");
    let spikes = "zp = Spike(zin) {surrogate = \"super:100\"}";
    let goal = "(proj:1 (recstep:fti:1:0:super:100 input:1 ?z input:0 ?w ?r))";
    check(&["step-rec-fti"], goal, &rec(spikes, &body), &rec("zp = Identity(zin)", &body));
}
