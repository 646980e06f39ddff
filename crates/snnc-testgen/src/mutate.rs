//! A small byte mutator (libFuzzer's common moves) so that the fuzz targets' bodies can be run
//! briefly on new inputs by the stable test suite, without libFuzzer or a sanitizer build.

use crate::Rng;

/// Byte values that often sit on a parser's boundaries.
const INTERESTING: [u8; 10] = [0, 1, 0x7f, 0x80, 0xff, b'\n', b'"', b'[', b'{', b'0'];

/// Inputs longer than this are cut, so one iteration stays fast.
const MAX_LEN: usize = 1 << 16;

/// Returns `data` changed by one to four random moves: flip a bit, set a byte to an
/// interesting or random value, overwrite with a little-endian 32-bit boundary value, delete,
/// duplicate or insert a range, truncate, or splice in a piece of `other`.
pub fn mutate(rng: &mut Rng, data: &[u8], other: &[u8]) -> Vec<u8> {
    let mut d = data.to_vec();
    for _ in 0..rng.range(1, 4) {
        let len = d.len();
        let at = if len == 0 { 0 } else { rng.range(0, len - 1) };
        match rng.range(0, 8) {
            0 if len > 0 => d[at] ^= 1 << rng.range(0, 7),
            1 if len > 0 => d[at] = *rng.pick(&INTERESTING),
            2 if len > 0 => d[at] = rng.next_u64() as u8,
            3 if len >= 4 => {
                let at = rng.range(0, len - 4);
                let v: u32 = *rng.pick(&[0, 1, u32::MAX, 1 << 31, 0xffff, 1 << 16, 64, 1 << 30]);
                d[at..at + 4].copy_from_slice(&v.to_le_bytes());
            }
            4 if len > 0 => {
                let n = rng.range(1, (len - at).min(64));
                d.drain(at..at + n);
            }
            5 if len > 0 => {
                let n = rng.range(1, (len - at).min(64));
                let piece = d[at..at + n].to_vec();
                d.splice(at..at, piece);
            }
            6 => {
                let n = rng.range(1, 8);
                let piece: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
                d.splice(at..at, piece);
            }
            7 if len > 0 => d.truncate(at),
            _ if !other.is_empty() => {
                let from = rng.range(0, other.len() - 1);
                let n = rng.range(1, (other.len() - from).min(256));
                let end = (at + n).min(len);
                d.splice(at..end, other[from..from + n].iter().copied());
            }
            _ => {}
        }
    }
    d.truncate(MAX_LEN);
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_change_inputs_and_respect_the_length_limit() {
        let mut rng = Rng::new(3);
        let base = b"graph g {\n  input x: f32[2]\n  output x\n}\n".to_vec();
        let mut changed = 0;
        for _ in 0..200 {
            let m = mutate(&mut rng, &base, b"other bytes");
            changed += usize::from(m != base);
            assert!(m.len() <= MAX_LEN);
        }
        assert!(changed > 150, "only {changed} of 200 mutations changed the input");
        assert!(mutate(&mut rng, &[], &[]).len() <= 8);
        let big = vec![7u8; MAX_LEN + 10];
        assert!(mutate(&mut rng, &big, &[]).len() <= MAX_LEN);
    }
}
