//! The vendors this crate has clients for, as one type: errors, messages
//! and the `invitations` program name a vendor by this enum, and turn it
//! into text (`hybridbox`, `automox`) only at the edge.

use std::fmt;
use std::str::FromStr;

/// A vendor with a generated client in this crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Vendor {
    /// Hybridbox ([`hybridbox`](crate::hybridbox)).
    Hybridbox,
    /// Automox ([`automox`](crate::automox)).
    Automox,
}

impl Vendor {
    /// Every vendor, in the order of the document.
    pub const ALL: [Vendor; 2] = [Vendor::Hybridbox, Vendor::Automox];

    /// The vendor's name as the document, the modules and messages write
    /// it: `hybridbox` or `automox`.
    pub fn as_str(self) -> &'static str {
        match self {
            Vendor::Hybridbox => "hybridbox",
            Vendor::Automox => "automox",
        }
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of this crate's vendors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownVendor;

impl fmt::Display for UnknownVendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a vendor of this crate (hybridbox or automox)")
    }
}

impl std::error::Error for UnknownVendor {}

impl FromStr for Vendor {
    type Err = UnknownVendor;

    /// `hybridbox` or `automox`, as [`Vendor::as_str`] writes them.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Vendor::ALL
            .into_iter()
            .find(|v| v.as_str() == name)
            .ok_or(UnknownVendor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for vendor in Vendor::ALL {
            assert_eq!(vendor.as_str().parse::<Vendor>(), Ok(vendor));
            assert_eq!(vendor.to_string(), vendor.as_str());
        }
        assert_eq!("Automox".parse::<Vendor>(), Err(UnknownVendor));
    }
}
