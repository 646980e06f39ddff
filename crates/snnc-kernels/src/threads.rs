//! Thread settings and the deterministic parallel helpers every kernel uses.
//!
//! Determinism rule: work is cut into tasks whose boundaries depend only on the problem shape
//! (never on the thread count), every output element is written by exactly one task, and each
//! task computes its elements in a fixed order. Results are therefore bitwise identical for any
//! number of threads.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;
use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::KernelError;

/// How many worker threads a kernel may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Threads {
    /// rayon's global pool (one thread per core unless `RAYON_NUM_THREADS` says otherwise).
    #[default]
    All,
    /// A private pool of exactly this many threads (at least 1), built once and cached.
    Fixed(usize),
}

fn pools() -> &'static Mutex<HashMap<usize, Arc<ThreadPool>>> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<ThreadPool>>>> = OnceLock::new();
    POOLS.get_or_init(|| Mutex::new(HashMap::new()))
}

fn fixed_pool(n: usize) -> Result<Arc<ThreadPool>, KernelError> {
    if n == 0 {
        return Err(KernelError::Pool("Threads::Fixed(0): at least one thread is needed".into()));
    }
    let mut map = pools().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = map.get(&n) {
        return Ok(p.clone());
    }
    let pool = ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(move |i| format!("snnc-{n}-{i}"))
        .build()
        .map_err(|e| KernelError::Pool(e.to_string()))?;
    let pool = Arc::new(pool);
    map.insert(n, pool.clone());
    Ok(pool)
}

impl Threads {
    /// Runs `f` with this setting: in rayon's current pool for [`Threads::All`], inside the
    /// cached private pool for [`Threads::Fixed`]. Fails only for `Fixed(0)` or when the
    /// operating system refuses the threads.
    pub fn install<R: Send>(self, f: impl FnOnce() -> R + Send) -> Result<R, KernelError> {
        match self {
            Threads::All => Ok(f()),
            Threads::Fixed(n) => Ok(fixed_pool(n)?.install(f)),
        }
    }

    /// The number of threads this setting stands for.
    pub fn count(self) -> usize {
        match self {
            Threads::All => rayon::current_num_threads(),
            Threads::Fixed(n) => n,
        }
    }
}

/// Runs `f(task)` for every task in `0..tasks`, in parallel in the current pool. Each call must
/// write a disjoint part of the output (see the module rule).
pub(crate) fn for_each_task(tasks: usize, f: impl Fn(usize) + Sync + Send) {
    if tasks == 1 {
        f(0);
    } else {
        (0..tasks).into_par_iter().for_each(f);
    }
}

/// A mutable buffer that parallel tasks write in disjoint ranges.
pub(crate) struct DisjointMut<'a, T> {
    ptr: *mut T,
    len: usize,
    _life: PhantomData<&'a mut [T]>,
}

// SAFETY: a DisjointMut only hands out ranges whose disjointness the caller guarantees
// (`range` is unsafe), so sharing it is like sharing the disjoint `&mut` sub-slices.
unsafe impl<T: Send> Send for DisjointMut<'_, T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for DisjointMut<'_, T> {}

impl<'a, T> DisjointMut<'a, T> {
    /// Wraps `buf` for the duration of its borrow.
    pub(crate) fn new(buf: &'a mut [T]) -> Self {
        DisjointMut { ptr: buf.as_mut_ptr(), len: buf.len(), _life: PhantomData }
    }

    /// The sub-slice `start..start + len`. Panics when out of bounds (an internal bug: callers
    /// have checked every shape before).
    ///
    /// # Safety
    /// No two slices alive at the same time, from any thread, may overlap.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn range(&self, start: usize, len: usize) -> &'a mut [T] {
        let end = start.checked_add(len).filter(|&e| e <= self.len);
        assert!(end.is_some(), "DisjointMut::range out of bounds");
        // SAFETY: in bounds (checked above); disjointness is the caller's contract.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(start), len) }
    }

    /// Writes element `index`. Panics when out of bounds.
    ///
    /// # Safety
    /// No other task may access element `index` at the same time.
    pub(crate) unsafe fn write(&self, index: usize, value: T) {
        // SAFETY: forwarded to the caller.
        let slot = unsafe { self.range(index, 1) };
        slot[0] = value;
    }
}
