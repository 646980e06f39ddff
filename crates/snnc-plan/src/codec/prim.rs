//! A small binary encoding: little-endian integers and floats, length-prefixed sequences.
//! Decoding never trusts a declared length beyond the bytes that are actually left, so a
//! corrupt length cannot cause a large allocation.

/// Reads values from a byte slice.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if n > self.remaining() {
            return Err(format!("unexpected end of data at byte {} (needed {n} more)", self.at));
        }
        let s = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
}

/// A value with a binary form.
pub(crate) trait Codec: Sized {
    /// Appends the encoding of `self`.
    fn put(&self, w: &mut Vec<u8>);
    /// Reads one value.
    fn get(r: &mut Reader) -> Result<Self, String>;
}

macro_rules! int_codec {
    ($($t:ty),*) => {$(
        impl Codec for $t {
            fn put(&self, w: &mut Vec<u8>) {
                w.extend_from_slice(&self.to_le_bytes());
            }
            fn get(r: &mut Reader) -> Result<Self, String> {
                Ok(<$t>::from_le_bytes(r.array()?))
            }
        }
    )*};
}

int_codec!(u8, u16, u32, u64, f32);

impl Codec for usize {
    fn put(&self, w: &mut Vec<u8>) {
        (*self as u64).put(w);
    }
    fn get(r: &mut Reader) -> Result<Self, String> {
        let v = u64::get(r)?;
        usize::try_from(v).map_err(|_| format!("size {v} does not fit this machine"))
    }
}

impl Codec for bool {
    fn put(&self, w: &mut Vec<u8>) {
        u8::from(*self).put(w);
    }
    fn get(r: &mut Reader) -> Result<Self, String> {
        match u8::get(r)? {
            0 => Ok(false),
            1 => Ok(true),
            t => Err(format!("invalid boolean {t}")),
        }
    }
}

impl Codec for String {
    fn put(&self, w: &mut Vec<u8>) {
        self.len().put(w);
        w.extend_from_slice(self.as_bytes());
    }
    fn get(r: &mut Reader) -> Result<Self, String> {
        let n = usize::get(r)?;
        let b = r.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| "invalid UTF-8 in a name".to_string())
    }
}

impl<T: Codec> Codec for Vec<T> {
    fn put(&self, w: &mut Vec<u8>) {
        self.len().put(w);
        for x in self {
            x.put(w);
        }
    }
    fn get(r: &mut Reader) -> Result<Self, String> {
        let n = usize::get(r)?;
        if n > r.remaining() {
            return Err(format!(
                "a list declares {n} items but only {} bytes are left",
                r.remaining()
            ));
        }
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(T::get(r)?);
        }
        Ok(v)
    }
}

impl<T: Codec> Codec for Option<T> {
    fn put(&self, w: &mut Vec<u8>) {
        match self {
            None => 0u8.put(w),
            Some(x) => {
                1u8.put(w);
                x.put(w);
            }
        }
    }
    fn get(r: &mut Reader) -> Result<Self, String> {
        match u8::get(r)? {
            0 => Ok(None),
            1 => Ok(Some(T::get(r)?)),
            t => Err(format!("invalid option tag {t}")),
        }
    }
}

impl<A: Codec, B: Codec> Codec for (A, B) {
    fn put(&self, w: &mut Vec<u8>) {
        self.0.put(w);
        self.1.put(w);
    }
    fn get(r: &mut Reader) -> Result<Self, String> {
        Ok((A::get(r)?, B::get(r)?))
    }
}

/// Implements [`Codec`] for a struct, field by field.
macro_rules! record {
    ($t:ident { $($f:ident),* $(,)? }) => {
        impl $crate::codec::prim::Codec for $t {
            fn put(&self, w: &mut Vec<u8>) {
                $(self.$f.put(w);)*
            }
            fn get(r: &mut $crate::codec::prim::Reader) -> Result<Self, String> {
                Ok($t { $($f: $crate::codec::prim::Codec::get(r)?),* })
            }
        }
    };
}

/// Implements [`Codec`] for an enum of unit variants with explicit tags.
macro_rules! unit_enum {
    ($t:ident { $($v:ident = $n:literal),* $(,)? }) => {
        impl $crate::codec::prim::Codec for $t {
            fn put(&self, w: &mut Vec<u8>) {
                let tag: u8 = match self { $($t::$v => $n),* };
                tag.put(w);
            }
            fn get(r: &mut $crate::codec::prim::Reader) -> Result<Self, String> {
                match u8::get(r)? {
                    $($n => Ok($t::$v),)*
                    t => Err(format!("invalid {} tag {t}", stringify!($t))),
                }
            }
        }
    };
}

/// Implements [`Codec`] for an enum whose variants each wrap one value, with explicit tags.
macro_rules! wrap_enum {
    ($t:ident { $($v:ident = $n:literal),* $(,)? }) => {
        impl $crate::codec::prim::Codec for $t {
            fn put(&self, w: &mut Vec<u8>) {
                match self {
                    $($t::$v(x) => {
                        ($n as u8).put(w);
                        x.put(w);
                    })*
                }
            }
            fn get(r: &mut $crate::codec::prim::Reader) -> Result<Self, String> {
                match u8::get(r)? {
                    $($n => Ok($t::$v($crate::codec::prim::Codec::get(r)?)),)*
                    t => Err(format!("invalid {} tag {t}", stringify!($t))),
                }
            }
        }
    };
}

pub(crate) use {record, unit_enum, wrap_enum};
