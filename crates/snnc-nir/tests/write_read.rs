//! `write_nir` then `read_nir` gives back the same graph, for every readable file of models/nir.

use std::path::{Path, PathBuf};

fn models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/nir")
}

#[test]
fn written_files_read_back_the_same() {
    for f in [
        "two_lif_neurons",
        "braille_noDelay_bias_zero",
        "braille_noDelay_noBias_subtract",
        "lif_norse",
    ] {
        let src = models().join(format!("{f}.nir"));
        let nir = snnc_nir::read_nir(&src).unwrap();
        let out = std::env::temp_dir().join(format!("nirx-write-{}-{f}.nir", std::process::id()));
        snnc_nir::write_nir(&out, &nir).unwrap();
        let back = snnc_nir::read_nir(&out).unwrap();
        assert_eq!(back, nir, "{f}");
    }
}
