//! Writing and reading plan files.
//!
//! Layout: `SNNCPLAN` (8 bytes), format version (u32 LE), payload length (u64 LE), CRC-32 of
//! the payload (u32 LE), payload. A file is refused — with an error naming it, never a panic —
//! when the magic bytes, the version, the length or the checksum are wrong, when the payload
//! does not decode exactly, or when the decoded plan fails [`Plan::validate`].

use std::path::Path;

use crate::assemble::pack_all;
use crate::codec::prim::{Codec, Reader};
use crate::{Plan, PlanError};

/// The first bytes of every plan file.
pub const MAGIC: [u8; 8] = *b"SNNCPLAN";

/// The plan format version this build writes and reads (7: the window kernels `Conv`, `ConvDx`,
/// `ConvDw`, `Pool`, `PoolBack`; 8: the `subtract` reset's own amount; 9: chains of
/// elementwise gradients, `EwGradK::pre`).
pub const FORMAT_VERSION: u32 = 9;

const HEADER: usize = 8 + 4 + 8 + 4;

fn payload(p: &Plan, w: &mut Vec<u8>) {
    p.name.put(w);
    p.surrogate.put(w);
    p.reset_grad.put(w);
    p.meta.put(w);
    p.inputs.put(w);
    p.outputs.put(w);
    p.targets.put(w);
    p.consts.put(w);
    p.packs.put(w);
    p.nodes.put(w);
    p.infer.put(w);
    p.train.put(w);
}

fn decode(r: &mut Reader) -> Result<Plan, String> {
    let mut p = Plan {
        name: Codec::get(r)?,
        surrogate: Codec::get(r)?,
        reset_grad: Codec::get(r)?,
        meta: Codec::get(r)?,
        inputs: Codec::get(r)?,
        outputs: Codec::get(r)?,
        targets: Codec::get(r)?,
        consts: Codec::get(r)?,
        packs: Codec::get(r)?,
        nodes: Codec::get(r)?,
        infer: Codec::get(r)?,
        train: Codec::get(r)?,
        packed: Vec::new(),
    };
    if r.remaining() != 0 {
        return Err(format!("{} unexpected bytes after the plan", r.remaining()));
    }
    p.packed = pack_all(&p.consts, &p.packs)?;
    Ok(p)
}

/// Whether `bytes` start like a plan file (any version).
pub fn is_plan_bytes(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

impl Plan {
    /// The plan file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut body = Vec::new();
        payload(self, &mut body);
        let mut out = Vec::with_capacity(HEADER + body.len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    /// Reads a plan from a file's bytes; `file` names it in errors.
    pub fn from_bytes(bytes: &[u8], file: &Path) -> Result<Plan, PlanError> {
        let err = |msg: String| PlanError::File { file: file.to_path_buf(), msg };
        if !is_plan_bytes(bytes) {
            return Err(err("not an snnc plan file (wrong magic bytes)".into()));
        }
        if bytes.len() < HEADER {
            return Err(err(format!(
                "truncated plan file ({} bytes, the header alone is {HEADER})",
                bytes.len()
            )));
        }
        let word = |at: usize, n: usize| -> u64 {
            bytes[at..at + n].iter().rev().fold(0u64, |a, &b| (a << 8) | u64::from(b))
        };
        let version = word(8, 4) as u32;
        if version != FORMAT_VERSION {
            return Err(err(format!(
                "plan format version {version}, but this snnc reads version {FORMAT_VERSION}; \
                 compile the model again with `snnc compile`"
            )));
        }
        let declared = word(12, 8);
        let body = &bytes[HEADER..];
        if declared != body.len() as u64 {
            return Err(err(format!(
                "truncated or padded plan file: the header declares {declared} payload bytes, the file has {}",
                body.len()
            )));
        }
        if word(20, 4) as u32 != crc32fast::hash(body) {
            return Err(err("corrupt plan file (checksum mismatch)".into()));
        }
        let plan =
            decode(&mut Reader::new(body)).map_err(|m| err(format!("corrupt plan file: {m}")))?;
        plan.validate().map_err(|e| err(e.to_string()))?;
        Ok(plan)
    }

    /// Writes the plan to `path`.
    pub fn save(&self, path: &Path) -> Result<(), PlanError> {
        std::fs::write(path, self.to_bytes())
            .map_err(|source| PlanError::Io { file: path.to_path_buf(), source })
    }

    /// Reads a plan written by [`Plan::save`] (of this format version).
    pub fn load(path: &Path) -> Result<Plan, PlanError> {
        let bytes = std::fs::read(path)
            .map_err(|source| PlanError::Io { file: path.to_path_buf(), source })?;
        Plan::from_bytes(&bytes, path)
    }
}

/// Whether the file at `path` starts with the plan magic bytes (so the CLI can accept a plan
/// wherever it accepts a model). Unreadable files are not plans.
pub fn is_plan_file(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 8];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_ok() && head == MAGIC
}
