//! The Braille RNNs against Norse's NIR import (`norse.torch.from_nir`, norse 1.1.0, dt = 1e-4;
//! `models/nir/norse_ref/make.py`): on the same random spike input, `snnc run` (SPEC §1.2 order,
//! `--nir-current spec`) gives Norse's spikes exactly, for the value and the subtract reset.

use std::path::Path;
use std::process::Command;

#[test]
fn braille_rnns_match_norse_from_nir() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let refs = root.join("models/nir/norse_ref");
    for (name, reset) in
        [("braille_noDelay_bias_zero", "value"), ("braille_noDelay_noBias_subtract", "subtract")]
    {
        let out =
            std::env::temp_dir().join(format!("nirx-norse-{}-{name}.npz", std::process::id()));
        let model = root.join(format!("models/nir/{name}.nir"));
        let r = Command::new(env!("CARGO_BIN_EXE_snnc"))
            .arg("run")
            .arg(&model)
            .args(["--nir-reset", reset, "--input"])
            .arg(refs.join("x.npy"))
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        let got = snnc_arrays::read_npz(&out).unwrap();
        let _ = std::fs::remove_file(&out);
        let got = &got.iter().find(|(n, _)| n == "output").unwrap().1;
        let want = snnc_arrays::read_npy(&refs.join(format!("{name}.npy"))).unwrap();
        assert_eq!(got.shape(), want.shape(), "{name}");
        let (g, w) = (got.to_f64(), want.to_f64());
        let differ = g.iter().zip(w.iter()).filter(|(a, b)| a != b).count();
        assert_eq!(differ, 0, "{name}: {differ} spikes differ from Norse's (of {})", w.sum());
        assert!(w.sum() > 10.0, "{name}: the reference has too few spikes to mean much");
    }
}
