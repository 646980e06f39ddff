//! Summaries of a plan for reports (`snnc inspect`, `snnc compile`).

use std::collections::BTreeMap;

use crate::{Plan, Program};

impl Program {
    /// Number of steps running each kernel, by [`Kernel::name`](crate::Kernel::name).
    pub fn kernel_histogram(&self) -> BTreeMap<&'static str, usize> {
        let mut h = BTreeMap::new();
        for s in &self.steps {
            *h.entry(s.kernel.name()).or_insert(0) += 1;
        }
        h
    }
}

impl Plan {
    /// Bytes of the constants (as stored in the plan).
    pub fn const_bytes(&self) -> usize {
        self.consts.iter().map(|c| 4 * c.data.len()).sum()
    }

    /// A few lines describing the plan: steps, kernels and memory of both programs.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "plan '{}': {} inputs, {} outputs, {} constants ({} bytes), surrogate {}, reset-grad {}\n",
            self.name,
            self.inputs.len(),
            self.outputs.len(),
            self.consts.len(),
            self.const_bytes(),
            self.surrogate,
            self.reset_grad
        );
        for (what, p) in [("inference", &self.infer), ("training", &self.train)] {
            let kernels: Vec<String> =
                p.kernel_histogram().iter().map(|(k, n)| format!("{k} {n}")).collect();
            s += &format!(
                "  {what}: {} steps ({} forward), peak {} bytes (without reuse {}), saved {} bytes; {}\n",
                p.steps.len(),
                p.forward_len,
                p.stats.peak_bytes,
                p.stats.unshared_bytes,
                p.stats.saved_bytes,
                kernels.join(", ")
            );
        }
        s
    }
}
