//! Scalars in text: parsing and bit-exact printing of f32, f64 and i64.

/// Parses an f32 as printed by [`fmt_f32`](crate::printer::fmt_f32): decimal, `inf`, `nan`,
/// `-nan`, or `0x` followed by the raw IEEE-754 bits.
pub(crate) fn parse_f32(s: &str) -> Option<f32> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u32::from_str_radix(h, 16).ok().map(f32::from_bits);
    }
    let (neg, body) = split_sign(s);
    let x = match body {
        "inf" => f32::INFINITY,
        "nan" => f32::NAN,
        _ if body.starts_with(|c: char| c.is_ascii_digit()) => body.parse::<f32>().ok()?,
        _ => return None,
    };
    Some(if neg { -x } else { x })
}

/// Like [`parse_f32`] for f64.
pub(crate) fn parse_f64(s: &str) -> Option<f64> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u64::from_str_radix(h, 16).ok().map(f64::from_bits);
    }
    let (neg, body) = split_sign(s);
    let x = match body {
        "inf" => f64::INFINITY,
        "nan" => f64::NAN,
        _ if body.starts_with(|c: char| c.is_ascii_digit()) => body.parse::<f64>().ok()?,
        _ => return None,
    };
    Some(if neg { -x } else { x })
}

/// A decimal integer (no exponent, no fraction, no hex).
pub(crate) fn parse_i64(s: &str) -> Option<i64> {
    let (_, body) = split_sign(s);
    if body.is_empty() || !body.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn split_sign(s: &str) -> (bool, &str) {
    if let Some(b) = s.strip_prefix('-') {
        (true, b)
    } else {
        (false, s.strip_prefix('+').unwrap_or(s))
    }
}

/// An f32 that parses back to the same bits: shortest decimal, `inf`, `nan`, or `0x` + bits
/// for a NaN with a payload.
pub(crate) fn fmt_f32(x: f32) -> String {
    match x {
        _ if x.is_nan() && x.to_bits() == f32::NAN.to_bits() => "nan".into(),
        _ if x.is_nan() && x.to_bits() == (-f32::NAN).to_bits() => "-nan".into(),
        _ if x.is_nan() => format!("0x{:08x}", x.to_bits()),
        f32::INFINITY => "inf".into(),
        f32::NEG_INFINITY => "-inf".into(),
        _ => format!("{x:?}"),
    }
}

/// Like [`fmt_f32`] for f64.
pub(crate) fn fmt_f64(x: f64) -> String {
    match x {
        _ if x.is_nan() && x.to_bits() == f64::NAN.to_bits() => "nan".into(),
        _ if x.is_nan() && x.to_bits() == (-f64::NAN).to_bits() => "-nan".into(),
        _ if x.is_nan() => format!("0x{:016x}", x.to_bits()),
        f64::INFINITY => "inf".into(),
        f64::NEG_INFINITY => "-inf".into(),
        _ => format!("{x:?}"),
    }
}
