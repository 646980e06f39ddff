//! The buffers each kernel reads and writes: what liveness, validation and the engine's
//! borrow splitting work from. A buffer that a kernel updates in place (accumulation) is a
//! write.

use crate::{BufId, Kernel, SpikeSrc};

/// The buffers one kernel touches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    /// Read only.
    pub reads: Vec<BufId>,
    /// Written (or updated in place).
    pub writes: Vec<BufId>,
}

impl Access {
    fn r(&mut self, b: BufId) {
        self.reads.push(b);
    }

    fn ro(&mut self, b: Option<BufId>) {
        self.reads.extend(b);
    }

    fn w(&mut self, b: BufId) {
        self.writes.push(b);
    }

    fn wo(&mut self, b: Option<BufId>) {
        self.writes.extend(b);
    }
}

impl Kernel {
    /// The buffers this kernel reads and writes.
    pub fn access(&self) -> Access {
        let mut a = Access::default();
        match self {
            Kernel::Mm(k) => {
                a.r(k.a.buf);
                a.r(k.b.buf);
                a.w(k.c);
            }
            Kernel::Bias(k) => {
                a.ro(k.c);
                a.w(k.y);
            }
            Kernel::Linear(k) => {
                a.r(k.x);
                a.r(k.w);
                a.ro(k.bias);
                a.w(k.y);
            }
            Kernel::Iaf(k) => {
                a.r(k.x);
                a.ro(k.v0);
                a.ro(k.u0);
                for o in [k.z, k.v_last, k.v_pre, k.z_bits, k.u_last] {
                    a.wo(o);
                }
            }
            Kernel::LinearIaf(k) => {
                // The currents are the linear part's output and the IAF part's input: a
                // write of the step, never a read, since no step before it provides them.
                let (l, f) = (&k.linear, &k.iaf);
                a.r(l.x);
                a.r(l.w);
                a.ro(l.bias);
                a.ro(f.v0);
                a.ro(f.u0);
                a.w(l.y);
                for o in [f.z, f.v_last, f.v_pre, f.z_bits, f.u_last] {
                    a.wo(o);
                }
            }
            Kernel::Recurrent(k) => {
                for i in [Some(k.x), Some(k.w), Some(k.r), k.v0, k.z0, k.u0] {
                    a.ro(i);
                }
                for o in [Some(k.cur), k.z, k.v_last, k.z_last, k.v_pre, k.z_bits, k.u_last] {
                    a.wo(o);
                }
            }
            Kernel::Reset(k) => {
                a.r(k.v);
                a.wo(k.z);
                a.wo(k.v_out);
            }
            Kernel::Ew(k) => {
                a.reads.extend(k.inputs.iter().map(|i| i.buf));
                a.writes.extend(k.stores.iter().map(|s| s.1));
            }
            Kernel::Gather(k) | Kernel::GatherBack(k) => {
                a.r(k.src);
                a.r(k.indices);
                a.w(k.dst);
            }
            Kernel::Concat(k) => {
                a.reads.extend(k.parts.iter().map(|p| p.0));
                a.w(k.dst);
            }
            Kernel::Transpose(k) => {
                a.r(k.src);
                a.w(k.dst);
            }
            Kernel::PackBits(k) => {
                a.r(k.src);
                a.w(k.dst);
            }
            Kernel::IafBack(k) => {
                a.r(k.v_pre);
                a.ro(k.gz);
                a.ro(k.gv_last);
                a.ro(k.gu_last);
                a.w(k.gx);
                a.wo(k.gv0);
                a.wo(k.gu0);
            }
            Kernel::RecurrentBack(k) => {
                let reads = [k.z0, k.gz, k.gv_last, k.gz_last, k.gu_last];
                for i in [Some(k.r), Some(k.v_pre), Some(k.z_bits)].into_iter().chain(reads) {
                    a.ro(i);
                }
                for o in [Some(k.g_cur), k.gv0, k.gz0, k.gr, k.gu0] {
                    a.wo(o);
                }
            }
            Kernel::SpikeDw(k) => {
                a.r(k.g);
                a.r(k.x.buf());
                a.w(k.dw);
            }
            Kernel::SumRows(k) => {
                a.r(k.g);
                a.w(k.dst);
            }
            Kernel::EwGrad(k) => {
                a.r(k.g);
                a.reads.extend(k.operands.iter().map(|i| i.buf));
                a.reads.extend(k.pre.iter().flat_map(|s| s.operands.iter().map(|i| i.buf)));
                a.w(k.dst);
            }
            Kernel::Slice(k) | Kernel::Unslice(k) => {
                a.r(k.src);
                a.w(k.dst);
            }
            Kernel::AddInto(k) => {
                a.r(k.src);
                a.w(k.dst);
            }
            Kernel::Conv(k) => {
                a.r(k.x);
                a.r(k.w);
                a.ro(k.bias);
                a.w(k.y);
            }
            Kernel::ConvDx(k) => {
                a.r(k.dy);
                a.r(k.w);
                a.w(k.dx);
            }
            Kernel::ConvDw(k) => {
                a.r(k.dy);
                a.r(k.x);
                a.wo(k.dw);
                a.wo(k.db);
            }
            Kernel::Pool(k) => {
                a.r(k.x);
                a.w(k.y);
            }
            Kernel::PoolBack(k) => {
                a.r(k.x);
                a.r(k.dy);
                a.w(k.dx);
            }
        }
        a
    }
}

impl SpikeSrc {
    /// The buffer holding the spikes.
    pub fn buf(&self) -> BufId {
        match *self {
            SpikeSrc::Bits(b) | SpikeSrc::Dense(b) => b,
        }
    }
}
