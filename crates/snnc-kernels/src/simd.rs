//! Kernel bodies compiled for the widest vector instruction set the CPU has.
//!
//! The hot loops are plain Rust (`#[inline(always)]`) that LLVM vectorizes; `multiversion!`
//! compiles them again with AVX-512 and AVX2 enabled and picks a version at run time. No kernel
//! relies on fused multiply-add (Rust never contracts `a * b + c`), so every level computes
//! bitwise the same results. The environment variable `SNNC_KERNELS_SIMD` (`avx512`, `avx2` or
//! `base`), read once, caps the level, so that tests can run every version on one machine.

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::sync::OnceLock;

    #[derive(Clone, Copy, PartialEq, Eq)]
    pub(super) enum Level {
        V4,
        V3,
        Base,
    }

    pub(super) fn level() -> Level {
        static LEVEL: OnceLock<Level> = OnceLock::new();
        *LEVEL.get_or_init(|| {
            let cap = match std::env::var("SNNC_KERNELS_SIMD").as_deref() {
                Ok("base") => Level::Base,
                Ok("avx2") => Level::V3,
                _ => Level::V4,
            };
            let have = detect();
            match (cap, have) {
                (Level::Base, _) | (_, Level::Base) => Level::Base,
                (Level::V3, _) | (_, Level::V3) => Level::V3,
                _ => Level::V4,
            }
        })
    }

    fn detect() -> Level {
        if std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx512vl")
            && std::is_x86_feature_detected!("avx512dq")
            && std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("bmi1")
            && std::is_x86_feature_detected!("popcnt")
        {
            Level::V4
        } else if std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("bmi1")
            && std::is_x86_feature_detected!("popcnt")
        {
            Level::V3
        } else {
            Level::Base
        }
    }
}

/// Which wrapper [`multiversion!`] calls: 2 = AVX-512, 1 = AVX2, 0 = baseline.
#[inline(always)]
pub(crate) fn level() -> u8 {
    #[cfg(target_arch = "x86_64")]
    {
        match x86::level() {
            x86::Level::V4 => 2,
            x86::Level::V3 => 1,
            x86::Level::Base => 0,
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        0
    }
}

/// Defines `fn name(args) -> ret` whose body is compiled three times (AVX-512, AVX2, baseline)
/// and picked at run time. Everything the body calls should be `#[inline(always)]`.
macro_rules! multiversion {
    (
        $(#[$meta:meta])*
        $vis:vis fn $name:ident $(<$($g:ident : $bound:path),*>)? ($($arg:ident : $ty:ty),* $(,)?)
            $(-> $ret:ty)? $body:block
    ) => {
        $(#[$meta])*
        #[allow(clippy::too_many_arguments)]
        $vis fn $name $(<$($g: $bound),*>)? ($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            #[allow(clippy::too_many_arguments)]
            fn inner $(<$($g: $bound),*>)? ($($arg: $ty),*) $(-> $ret)? $body

            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,avx,bmi1,popcnt")]
            #[allow(clippy::too_many_arguments)]
            unsafe fn v4 $(<$($g: $bound),*>)? ($($arg: $ty),*) $(-> $ret)? {
                inner($($arg),*)
            }

            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,avx,bmi1,popcnt")]
            #[allow(clippy::too_many_arguments)]
            unsafe fn v3 $(<$($g: $bound),*>)? ($($arg: $ty),*) $(-> $ret)? {
                inner($($arg),*)
            }

            match $crate::simd::level() {
                // SAFETY: level() checked that the CPU has every feature v4 enables.
                #[cfg(target_arch = "x86_64")]
                2 => unsafe { v4($($arg),*) },
                // SAFETY: as above, for v3.
                #[cfg(target_arch = "x86_64")]
                1 => unsafe { v3($($arg),*) },
                _ => inner($($arg),*),
            }
        }
    };
}

pub(crate) use multiversion;
