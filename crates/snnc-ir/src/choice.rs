//! Closed sets of attribute values with their spellings.

/// Declares a closed set of attribute values with their spellings: `name`, `Display`,
/// `FromStr` (unknown spellings are an error naming the expected ones) and `ALL`.
macro_rules! choice {
    ($(#[$m:meta])* $ty:ident, $attr:literal, default $def:ident,
     $($(#[$vm:meta])* $v:ident => $s:literal),+ $(,)?) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $ty {
            $($(#[$vm])* $v),+
        }

        impl $ty {
            /// Every value, in SPEC order.
            pub const ALL: &'static [$ty] = &[$($ty::$v),+];

            /// The attribute spelling.
            pub fn name(self) -> &'static str {
                match self {
                    $($ty::$v => $s),+
                }
            }
        }

        impl Default for $ty {
            fn default() -> Self {
                $ty::$def
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = String;

            /// Parses the attribute spelling; anything else is an error.
            fn from_str(s: &str) -> Result<Self, String> {
                $ty::ALL.iter().copied().find(|c| c.name() == s).ok_or_else(|| {
                    let names: Vec<_> = $ty::ALL.iter().map(|c| c.name()).collect();
                    format!("unknown {} '{s}' (expected {})", $attr, names.join(" or "))
                })
            }
        }
    };
}

pub(crate) use choice;
