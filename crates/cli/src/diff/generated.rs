//! The generated side of the comparison: each vendor's code generated from
//! both revisions by the module `build.rs` uses, read as a [`Surface`] and
//! compared item by item.
//!
//! Only what a change can alter is generated: the operations whose
//! definition differs between the revisions (their fingerprints, made when a
//! revision is read: the operation, its path item's parameters, every
//! component it reaches, transitively, and the security schemes), with the
//! components they reach. An operation that is the same in both revisions
//! generates the same items in both, so leaving it out changes nothing in
//! the comparison, and a 1,000-operation document with a few changes is
//! generated in a fraction of the time. The touched operations are generated
//! in chunks (progenitor's cost grows faster than the operations it is
//! given), both revisions at once, on two threads, and the chunks' APIs are
//! united.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::revision::Revision;
use super::surface::{self, RustChange, Surface};
use crate::codegen::{GenerateError, Options, Vendor};

/// The Rust API differences of one vendor's module.
pub(super) struct VendorRust {
    /// The vendor (its module).
    pub(super) vendor: String,
    /// The old API (of the touched operations only).
    pub(super) old: Surface,
    /// The new API (of the touched operations only).
    pub(super) new: Surface,
    /// What differs.
    pub(super) changes: Vec<RustChange>,
}

/// How many operations one run of progenitor generates.
const CHUNK: usize = 64;

/// An operation's key: HTTP method and path.
pub(super) type OpKey = (String, String);

/// Generates what the changes touch in both revisions and compares the
/// public APIs, vendor by vendor (vendors without differences are left out).
pub(super) fn compare(
    old: &Revision<'_>,
    new: &Revision<'_>,
) -> Result<Vec<VendorRust>, GenerateError> {
    let (old_vendors, new_vendors) = (old.doc.vendors()?, new.doc.vendors()?);
    let mut names: Vec<&str> = old_vendors.iter().map(|v| v.name.as_str()).collect();
    for v in &new_vendors {
        if !names.contains(&v.name.as_str()) {
            names.push(&v.name);
        }
    }
    let mut out = Vec::new();
    for name in names {
        let find = |vendors: &[Vendor]| vendors.iter().find(|v| v.name == name).cloned();
        let (old_vendor, new_vendor) = (find(&old_vendors), find(&new_vendors));
        let touched = touched_operations(old, new, name);
        let same_server =
            matches!((&old_vendor, &new_vendor), (Some(o), Some(n)) if o.base_url == n.base_url);
        if touched.is_empty() && same_server {
            continue;
        }
        // In chunks of operations: what one operation generates does not
        // depend on the others, and progenitor's time and memory grow faster
        // than the number of operations it is given.
        let touched: Vec<OpKey> = touched.into_iter().collect();
        let chunks: Vec<BTreeSet<OpKey>> = if touched.is_empty() {
            vec![BTreeSet::new()]
        } else {
            touched
                .chunks(CHUNK)
                .map(|c| c.iter().cloned().collect())
                .collect()
        };
        let (mut old_surface, mut new_surface) = (Surface::default(), Surface::default());
        for chunk in &chunks {
            // The components either side's operations reach, generated on
            // both sides where they exist, so that a component an added
            // operation starts using is not taken for a new type.
            let mut also = uses(old, chunk);
            also.extend(uses(new, chunk));
            let (old_part, new_part) = std::thread::scope(|scope| {
                let old_side = scope.spawn(|| surface_of(old, old_vendor.as_ref(), chunk, &also));
                let new_part = surface_of(new, new_vendor.as_ref(), chunk, &also);
                let old_part = old_side.join().unwrap_or_else(|_| {
                    Err(old
                        .doc
                        .error_at(&[], format!("vendor {name}"), "code generation failed"))
                });
                (old_part, new_part)
            });
            old_surface.items.extend(old_part?.items);
            new_surface.items.extend(new_part?.items);
        }
        let changes = surface::compare(&old_surface, &new_surface);
        if !changes.is_empty() {
            out.push(VendorRust {
                vendor: name.to_owned(),
                old: old_surface,
                new: new_surface,
                changes,
            });
        }
    }
    Ok(out)
}

/// The public API generated for `touched` operations of `vendor` (empty
/// when the revision has no such vendor).
fn surface_of(
    revision: &Revision<'_>,
    vendor: Option<&Vendor>,
    touched: &BTreeSet<OpKey>,
    also: &BTreeSet<String>,
) -> Result<Surface, GenerateError> {
    let Some(vendor) = vendor else {
        return Ok(Surface::default());
    };
    let doc = &revision.doc;
    let keep = |op: &crate::codegen::OperationRef<'_>| {
        touched.contains(&(op.method.clone(), op.path.clone()))
    };
    let spec = doc.vendor_spec(vendor, &keep, also)?;
    let (code, mock) = doc.generate_vendor_syntax(vendor, &spec, &Options::default())?;
    Ok(Surface::of(&vendor.name, &code, Some(&mock)))
}

/// The operations of `vendor` whose definition differs between the
/// revisions, or that exist in one only.
fn touched_operations(old: &Revision<'_>, new: &Revision<'_>, vendor: &str) -> BTreeSet<OpKey> {
    let prints = |r: &Revision<'_>| -> BTreeMap<OpKey, u64> {
        r.operations
            .iter()
            .filter(|op| op.vendor == vendor)
            .map(|op| ((op.method.clone(), op.path.clone()), op.print))
            .collect()
    };
    let (o, n) = (prints(old), prints(new));
    o.iter()
        .filter(|(key, print)| n.get(*key) != Some(*print))
        .chain(n.iter().filter(|(key, print)| o.get(*key) != Some(*print)))
        .map(|(key, _)| key.clone())
        .collect()
}

/// The components the `touched` operations of a revision reach.
fn uses(r: &Revision<'_>, touched: &BTreeSet<OpKey>) -> BTreeSet<String> {
    let values: Vec<&Value> = touched
        .iter()
        .filter(|(method, path)| r.doc.root["paths"][path].get(method).is_some())
        .flat_map(|(method, path)| {
            let item = &r.doc.root["paths"][path];
            [&item["parameters"], &item[method]]
        })
        .collect();
    r.doc.reached(&values)
}
