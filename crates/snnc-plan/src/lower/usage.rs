//! Which steps read and write each buffer: what the fusion passes check before moving a
//! computation (nothing else may see the intermediate value, or every other reader must
//! run later).

use std::collections::HashMap;

use crate::{BufId, Step};

/// The steps that read and that write each buffer, by the buffer whose storage it uses
/// (aliases followed), in step order, each step listed once per buffer.
pub(crate) struct Usage {
    /// Positions of the steps reading each buffer.
    pub(crate) readers: HashMap<BufId, Vec<usize>>,
    /// Positions of the steps writing (or updating) each buffer.
    pub(crate) writers: HashMap<BufId, Vec<usize>>,
}

impl Usage {
    /// The usage of `steps`, with `root` mapping a buffer to its storage.
    pub(crate) fn of(steps: &[Step], root: impl Fn(BufId) -> BufId) -> Self {
        let (mut readers, mut writers) = (HashMap::new(), HashMap::new());
        for (i, s) in steps.iter().enumerate() {
            let a = s.kernel.access();
            for (list, map) in [(a.reads, &mut readers), (a.writes, &mut writers)] {
                let mut bs: Vec<BufId> = list.into_iter().map(&root).collect();
                bs.sort();
                bs.dedup();
                for b in bs {
                    map.entry(b).or_insert_with(Vec::new).push(i);
                }
            }
        }
        Self { readers, writers }
    }

    /// How many steps read `b`.
    pub(crate) fn read_count(&self, b: BufId) -> usize {
        self.readers.get(&b).map_or(0, Vec::len)
    }

    /// How many steps write `b`.
    pub(crate) fn write_count(&self, b: BufId) -> usize {
        self.writers.get(&b).map_or(0, Vec::len)
    }
}
