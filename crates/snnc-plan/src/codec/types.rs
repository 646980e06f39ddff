//! The binary form of every plan type.

use snnc_ir::{
    DType, Family, IafParams, Leak, Method, Order, Reset, ResetGrad, Spikes, Surrogate, Threshold,
    VOut,
};

use crate::codec::prim::{record, unit_enum, wrap_enum, Codec, Reader};
use crate::kernel_ew::{
    AddIntoK, BinOp, ConcatK, EwGradK, EwInput, EwK, GatherK, GradRule, GradStage, Instr, SliceK,
    TransposeK, UnOp,
};
use crate::kernel_fused::LinearIafK;
use crate::kernel_iaf::{IafBackK, IafK, PackK, RecBackK, RecK, ResetK};
use crate::kernel_window::{ConvDwK, ConvDxK, ConvGeom, ConvK, PoolBackK, PoolGeom, PoolK, PoolOp};
use crate::plan::{Buf, BufLoc, ConstData, PackSpec, Program, Sig, Stats, Target};
use crate::{
    BiasK, BufId, Kernel, LinearK, MmEntry, MmK, Opnd, SpikeDwK, SpikeSrc, Step, SumRowsK, WRef,
};

unit_enum!(DType { F32 = 0, F64 = 1, I64 = 2, Bool = 3 });
unit_enum!(Method {
    Heaviside = 0,
    Super = 1,
    Triangle = 2,
    Tanh = 3,
    Circ = 4,
    HeaviErfc = 5,
    Atan = 6,
    Sigmoid = 7,
    Exp = 8
});
unit_enum!(Order { FireThenIntegrate = 0, IntegrateThenFire = 1 });
unit_enum!(UnOp {
    Neg = 0,
    Relu = 1,
    Sigmoid = 2,
    Tanh = 3,
    Theta = 4,
    Trunc = 5,
    NonZero = 6,
    Not = 7,
    Abs = 8,
    Sign = 9,
    Floor = 10
});
unit_enum!(BinOp {
    Add = 0,
    Sub = 1,
    Mul = 2,
    Div = 3,
    DivInt = 4,
    Greater = 5,
    Less = 6,
    GreaterOrEqual = 7,
    LessOrEqual = 8,
    Equal = 9,
    Max = 10,
    Min = 11
});
record!(Surrogate { method, alpha });
unit_enum!(Threshold { Gt = 0, Ge = 1 });
unit_enum!(Reset { Value = 0, Subtract = 1, None = 2 });
unit_enum!(ResetGrad { Attached = 0, Detached = 1 });
unit_enum!(Spikes { Single = 0, Multi = 1, None = 2 });
record!(Family { threshold, reset, reset_grad, spikes });
record!(Leak { alpha, beta, gamma, v_leak });
unit_enum!(VOut { AfterReset = 0, BeforeReset = 1 });
record!(IafParams { v_th, v_reset, surrogate, order, family, leak, v_out, reset_amount });

impl Codec for BufId {
    fn put(&self, w: &mut Vec<u8>) {
        self.0.put(w);
    }
    fn get(r: &mut Reader) -> Result<Self, String> {
        Ok(BufId(u32::get(r)?))
    }
}

wrap_enum!(SpikeSrc { Bits = 0, Dense = 1 });
record!(Opnd { buf, rs, cs });
record!(MmEntry { a_off, b_off, c_off, acc });
record!(MmK { m, n, k, a, b, c, c_rs, alpha, entries });
record!(BiasK { y, rows, cols, alpha, c, c_rs, c_cs, beta });
record!(LinearK { rows, k, n, trans_b, x, w, bias, y, event });
record!(SpikeDwK { rows, k, n, g, x, dw, trans_b, acc });
record!(SumRowsK { g, rows, cols, dst, acc });
record!(IafK { t, b, n, params, x, v0, z, v_last, v_pre, z_bits, u0, u_last });
record!(LinearIafK { linear, iaf, iaf_node });
record!(RecK {
    t,
    b,
    h,
    i,
    params,
    x,
    w,
    r,
    r_pack,
    v0,
    z0,
    cur,
    z,
    v_last,
    z_last,
    v_pre,
    z_bits,
    u0,
    u_last
});
record!(ResetK { rows, n, v_th, v_reset, family, reset_amount, v, z, v_out });
record!(PackK { src, rows, cols, dst });
record!(IafBackK { t, b, n, params, v_pre, gz, gv_last, gx, gv0, gu_last, gu0 });
record!(RecBackK {
    t,
    b,
    h,
    params,
    r,
    v_pre,
    z_bits,
    z0,
    gz,
    gv_last,
    gz_last,
    g_cur,
    gv0,
    gz0,
    gr,
    gu_last,
    gu0
});
record!(EwInput { buf, shape });
record!(EwK { shape, inputs, code, regs, stores });
record!(GradStage { rule, operands });
record!(EwGradK { shape, g, operands, rule, dst, dst_shape, acc, pre });
record!(GatherK { outer, dim, inner, indices, n_idx, src, dst, acc });
record!(ConcatK { outer, inner, parts, dst });
record!(SliceK { outer, src_dim, start, len, inner, src, dst, acc });
record!(TransposeK { shape, perm, src, dst, acc });
record!(AddIntoK { src, dst, len, acc });
record!(ConvGeom { n, c, h, w, m, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, group });
record!(ConvK { g, x, w, bias, y, event });
record!(ConvDxK { g, dy, w, dx, acc });
record!(ConvDwK { g, dy, x, dw, db, acc });
unit_enum!(PoolOp { Sum = 0, AvgIncludePad = 1, AvgExcludePad = 2, Max = 3 });
record!(PoolGeom { n, h, w, oh, ow, kh, kw, sh, sw, ph, pw });
record!(PoolK { op, g, x, y });
record!(PoolBackK { op, g, x, dy, dx, acc });
wrap_enum!(Kernel {
    Mm = 0,
    Bias = 1,
    Linear = 2,
    Iaf = 3,
    Recurrent = 4,
    Reset = 5,
    Ew = 6,
    Gather = 7,
    Concat = 8,
    Transpose = 9,
    PackBits = 10,
    IafBack = 11,
    RecurrentBack = 12,
    SpikeDw = 13,
    SumRows = 14,
    EwGrad = 15,
    GatherBack = 16,
    Slice = 17,
    AddInto = 18,
    Unslice = 19,
    LinearIaf = 20,
    Conv = 21,
    ConvDx = 22,
    ConvDw = 23,
    Pool = 24,
    PoolBack = 25,
});
record!(Step { node, need, kernel });
record!(Sig { name, dtype, shape });
record!(ConstData { name, dtype, shape, data });
record!(PackSpec { konst, outputs, inputs, out_in });
record!(Target { sig, input });
record!(Buf { loc, len });
record!(Stats { peak_bytes, unshared_bytes, saved_bytes, buffers });
record!(Program { bufs, steps, forward_len, arena_len, bits_slots, outputs, grads, stats });

impl Codec for Instr {
    fn put(&self, w: &mut Vec<u8>) {
        match *self {
            Instr::Load { dst, input } => (0u8, (dst, input)).put(w),
            Instr::Un { dst, op, a } => (1u8, (dst, (op, a))).put(w),
            Instr::Bin { dst, op, a, b } => (2u8, (dst, (op, (a, b)))).put(w),
            Instr::Select { dst, c, a, b } => (3u8, (dst, (c, (a, b)))).put(w),
        }
    }
    fn get(r: &mut Reader) -> Result<Self, String> {
        Ok(match u8::get(r)? {
            0 => {
                let (dst, input) = Codec::get(r)?;
                Instr::Load { dst, input }
            }
            1 => {
                let (dst, (op, a)) = Codec::get(r)?;
                Instr::Un { dst, op, a }
            }
            2 => {
                let (dst, (op, (a, b))) = Codec::get(r)?;
                Instr::Bin { dst, op, a, b }
            }
            3 => {
                let (dst, (c, (a, b))) = Codec::get(r)?;
                Instr::Select { dst, c, a, b }
            }
            t => return Err(format!("invalid instruction tag {t}")),
        })
    }
}

impl Codec for GradRule {
    fn put(&self, w: &mut Vec<u8>) {
        match *self {
            GradRule::Scale(c) => (0u8, c).put(w),
            GradRule::Mul => 1u8.put(w),
            GradRule::DivNum => 2u8.put(w),
            GradRule::DivDen => 3u8.put(w),
            GradRule::Compare { greater, wrt_b, surrogate } => {
                (4u8, (greater, (wrt_b, surrogate))).put(w)
            }
            GradRule::Relu => 5u8.put(w),
            GradRule::Sigmoid => 6u8.put(w),
            GradRule::Tanh => 7u8.put(w),
            GradRule::Spike(s) => (8u8, s).put(w),
            GradRule::WhereTrue => 9u8.put(w),
            GradRule::WhereFalse => 10u8.put(w),
            GradRule::Abs => 11u8.put(w),
            GradRule::Extremum { max, wrt_b } => (12u8, (max, wrt_b)).put(w),
            GradRule::Clip { part, lo, hi } => (13u8, (part, (lo, hi))).put(w),
        }
    }
    fn get(r: &mut Reader) -> Result<Self, String> {
        Ok(match u8::get(r)? {
            0 => GradRule::Scale(f32::get(r)?),
            1 => GradRule::Mul,
            2 => GradRule::DivNum,
            3 => GradRule::DivDen,
            4 => {
                let (greater, (wrt_b, surrogate)) = Codec::get(r)?;
                GradRule::Compare { greater, wrt_b, surrogate }
            }
            5 => GradRule::Relu,
            6 => GradRule::Sigmoid,
            7 => GradRule::Tanh,
            8 => GradRule::Spike(Surrogate::get(r)?),
            9 => GradRule::WhereTrue,
            10 => GradRule::WhereFalse,
            11 => GradRule::Abs,
            12 => {
                let (max, wrt_b) = Codec::get(r)?;
                GradRule::Extremum { max, wrt_b }
            }
            13 => {
                let (part, (lo, hi)) = Codec::get(r)?;
                GradRule::Clip { part, lo, hi }
            }
            t => return Err(format!("invalid gradient rule tag {t}")),
        })
    }
}

impl Codec for BufLoc {
    fn put(&self, w: &mut Vec<u8>) {
        match *self {
            BufLoc::Input(i) => (0u8, i).put(w),
            BufLoc::Const(i) => (1u8, i).put(w),
            BufLoc::Seed(i) => (2u8, i).put(w),
            BufLoc::Arena { off } => (3u8, off).put(w),
            BufLoc::Bits { slot, rows, cols } => (4u8, (slot, (rows, cols))).put(w),
        }
    }
    fn get(r: &mut Reader) -> Result<Self, String> {
        Ok(match u8::get(r)? {
            0 => BufLoc::Input(u32::get(r)?),
            1 => BufLoc::Const(u32::get(r)?),
            2 => BufLoc::Seed(u32::get(r)?),
            3 => BufLoc::Arena { off: usize::get(r)? },
            4 => {
                let (slot, (rows, cols)) = Codec::get(r)?;
                BufLoc::Bits { slot, rows, cols }
            }
            t => return Err(format!("invalid buffer location tag {t}")),
        })
    }
}

impl Codec for WRef {
    fn put(&self, w: &mut Vec<u8>) {
        match *self {
            WRef::Packed(i) => (0u8, i).put(w),
            WRef::Runtime => 1u8.put(w),
        }
    }
    fn get(r: &mut Reader) -> Result<Self, String> {
        match u8::get(r)? {
            0 => Ok(WRef::Packed(u32::get(r)?)),
            1 => Ok(WRef::Runtime),
            t => Err(format!("invalid weights tag {t}")),
        }
    }
}
