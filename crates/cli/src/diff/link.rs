//! Linking the document's changes to the Rust API differences they cause.
//!
//! Each Rust difference (from [`generated`](super::generated)) is given to
//! the document changes that explain it; a document change's Rust level,
//! note and semver bump are those of the differences it explains (plus, for
//! some rules, a change of behaviour the API does not show, such as a method
//! that now calls another path). A Rust difference that no document change
//! explains is still reported, as `rust-api-changed`, so nothing the
//! generated code shows is missed.
//!
//! What ties them is read from the generated code, not from naming rules:
//! a client method says which request it sends (`Sends a POST request to
//! /path`), its result names its builder, a builder's setters name the types
//! the operation uses, and a field's `serde(rename)` says which property it
//! carries. Component schemas are found under the name the generator gives
//! them in the vendor's module ([`codegen::short_type_name`]), compared
//! loosely (case, `_` and `-` aside) with the Rust type names.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::generated::{OpKey, VendorRust};
use super::revision::Revision;
use super::surface::{ItemKind, RustChange, Surface};
use super::wire::{Behaviour, Found};
use super::{Bump, Change, Impact, Level, Rule, Side};
use crate::codegen;

/// Where a document change can show in the Rust API.
#[derive(Default)]
struct Anchor {
    /// It adds or removes the whole vendor module.
    whole_vendor: bool,
    /// It changes the vendor's server.
    server: bool,
    /// It changes a `default` (typify writes defaults into `types::defaults`).
    default: bool,
    /// The operations it touches.
    ops: BTreeSet<OpKey>,
    /// The operation it is written in (`#/paths/...`), if any.
    under_op: Option<OpKey>,
    /// The component schema it is written in (and, renamed, was), as loose
    /// Rust type names.
    type_names: BTreeSet<String>,
    /// The property it is about, if any.
    member: Option<String>,
}

/// What a Rust item belongs to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Owner {
    Server,
    /// typify's `types::defaults` module of default values.
    Defaults,
    Vendor,
    Op(OpKey),
    /// A type of the `types` module, by its Rust name.
    Type(String),
}

/// The operations, builders and types a vendor's generated code ties
/// together, read from both surfaces.
#[derive(Default)]
struct Index {
    /// Client method name → its operation.
    methods: BTreeMap<String, OpKey>,
    /// Builder struct name → its operation.
    builders: BTreeMap<String, OpKey>,
    /// Type name (loose) → the operations whose builders name it.
    type_ops: BTreeMap<String, BTreeSet<OpKey>>,
}

impl Index {
    fn read(vendor: &str, surfaces: [&Surface; 2]) -> Index {
        let mut index = Index::default();
        let client = format!("{vendor}::Client::");
        for surface in surfaces {
            for (path, item) in &surface.items {
                let Some(method) = path.strip_prefix(&client) else {
                    continue;
                };
                let Some((verb, route)) = item.wire.as_deref().and_then(|w| w.split_once(' '))
                else {
                    continue;
                };
                let key = (verb.to_ascii_lowercase(), route.to_owned());
                if let Some(builder) = item.signature.split("builder::").nth(1) {
                    let builder: String = builder
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    index.builders.insert(builder, key.clone());
                }
                index.methods.insert(method.to_owned(), key);
            }
        }
        // The types of the `types` module, which builders' signatures name.
        let types_at = format!("{vendor}::types::");
        let types: BTreeSet<String> = surfaces
            .iter()
            .flat_map(|s| s.items.keys())
            .filter_map(|path| path.strip_prefix(&types_at))
            .filter(|rest| !rest.contains("::") && !rest.contains(": "))
            .map(str::to_owned)
            .collect();
        let builders = format!("{vendor}::builder::");
        for surface in surfaces {
            for (path, item) in &surface.items {
                let Some(rest) = path.strip_prefix(&builders) else {
                    continue;
                };
                let builder = rest.split("::").next().unwrap_or(rest);
                let Some(op) = index.builders.get(builder).cloned() else {
                    continue;
                };
                let words = item
                    .signature
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'));
                for word in words.filter(|w| types.contains(*w)) {
                    index
                        .type_ops
                        .entry(loose(word))
                        .or_default()
                        .insert(op.clone());
                }
            }
        }
        index
    }

    fn owner(&self, vendor: &str, path: &str) -> Owner {
        let rest = path
            .strip_prefix(vendor)
            .and_then(|r| r.strip_prefix("::"))
            .unwrap_or("");
        let parts: Vec<&str> = rest.split(": ").next().unwrap_or("").split("::").collect();
        let op = |key: Option<&OpKey>| key.cloned().map(Owner::Op).unwrap_or(Owner::Vendor);
        match parts.as_slice() {
            ["DEFAULT_BASE_URL"] => Owner::Server,
            ["Client", method, ..] => op(self.methods.get(*method)),
            ["builder", builder, ..] => op(self.builders.get(*builder)),
            ["mock", "MockServerExt", method, ..] => op(self.methods.get(*method)),
            ["mock", "operations", name, ..] => {
                let builder = name
                    .strip_suffix("When")
                    .or_else(|| name.strip_suffix("Then"))
                    .unwrap_or(name);
                op(self.builders.get(builder))
            }
            ["types", "builder", name, ..] => Owner::Type((*name).to_owned()),
            ["types", "defaults", ..] => Owner::Defaults,
            ["types", name, ..] if *name != "error" && *name != "builder" => {
                Owner::Type((*name).to_owned())
            }
            _ => Owner::Vendor,
        }
    }
}

/// Lowercase letters and digits only: `CreateInvitationRequest`,
/// `create_invitation_request` and `create-invitation-request` meet.
fn loose(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The segments of a `#/a/b~1c` pointer.
fn segments(pointer: &str) -> Vec<String> {
    pointer
        .trim_start_matches('#')
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

fn anchor(found: &Found, old: &Revision<'_>, new: &Revision<'_>) -> Anchor {
    let change = &found.change;
    let vendor = change.vendor.as_deref().unwrap_or("");
    let mut anchor = Anchor {
        whole_vendor: change.id == Rule::VendorAdded.id() || change.id == Rule::VendorRemoved.id(),
        server: change.id == Rule::ServerUrlChanged.id(),
        default: change.id == Rule::RequestDefaultChanged.id()
            || change.id == Rule::ResponseDefaultChanged.id(),
        ..Anchor::default()
    };
    for revision in [old, new] {
        for op in &revision.operations {
            if op.vendor == vendor && change.operations.contains(&op.id) {
                anchor.ops.insert((op.method.clone(), op.path.clone()));
            }
        }
    }
    let at = segments(&change.location);
    match at.as_slice() {
        [paths, path, method, ..] if paths == "paths" => {
            anchor.under_op = Some((method.clone(), path.clone()));
        }
        [c, s, name, ..] if c == "components" && s == "schemas" => {
            anchor
                .type_names
                .insert(loose(codegen::short_type_name(vendor, name)));
        }
        _ => {}
    }
    // A renamed component: its old type is the change's too.
    if let [c, s, name, ..] = segments(found.was_at.as_deref().unwrap_or("")).as_slice()
        && c == "components"
        && s == "schemas"
    {
        anchor
            .type_names
            .insert(loose(codegen::short_type_name(vendor, name)));
    }
    anchor.member = at
        .iter()
        .rposition(|s| s == "properties")
        .and_then(|i| at.get(i + 1))
        .cloned();
    anchor
}

/// Sets each change's Rust judgement from the differences it explains (and
/// the change of behaviour its rule knows of) and appends a
/// `rust-api-changed` change per owner for the rest.
pub(super) fn link(
    found: Vec<Found>,
    rust: &[VendorRust],
    old: &Revision<'_>,
    new: &Revision<'_>,
) -> Vec<Change> {
    let anchors: Vec<Anchor> = found.iter().map(|f| anchor(f, old, new)).collect();
    let (mut changes, behaviour): (Vec<Change>, Vec<Option<Behaviour>>) =
        found.into_iter().map(|f| (f.change, f.behaviour)).unzip();
    let mut explained: Vec<Vec<&RustChange>> = vec![Vec::new(); changes.len()];
    let mut unexplained: BTreeMap<(String, Owner), Vec<&RustChange>> = BTreeMap::new();
    let mut report_owners: HashMap<Owner, Owner> = HashMap::new();
    for vendor in rust {
        let index = Index::read(&vendor.vendor, [&vendor.old, &vendor.new]);
        let of_vendor = (0..changes.len())
            .filter(|i| changes[*i].vendor.as_deref() == Some(vendor.vendor.as_str()));
        let by_anchor = Anchors::new(&anchors, of_vendor);
        report_owners.clear();
        for rc in &vendor.changes {
            let owner = index.owner(&vendor.vendor, &rc.path);
            let found = candidates(&by_anchor, &owner, rc, &index);
            if found.is_empty() {
                let owner = report_owners
                    .entry(owner.clone())
                    .or_insert_with(|| report_owner(&vendor.vendor, owner, old, new))
                    .clone();
                unexplained
                    .entry((vendor.vendor.clone(), owner))
                    .or_default()
                    .push(rc);
            }
            for i in found {
                explained[i].push(rc);
            }
        }
    }
    for (i, change) in changes.iter_mut().enumerate() {
        judge(change, &explained[i], behaviour.get(i).cloned().flatten());
    }
    for ((vendor, owner), rcs) in unexplained {
        changes.push(unexplained_change(&vendor, &owner, &rcs, old, new));
    }
    changes
}

/// The document changes of one vendor, indexed by what they are anchored
/// on, so that each Rust difference finds its changes by lookups.
#[derive(Default)]
struct Anchors {
    whole: Vec<usize>,
    server: Vec<usize>,
    defaults: Vec<usize>,
    under_op: HashMap<OpKey, Vec<usize>>,
    /// By operation touched, for changes not anchored on a component.
    ops_untyped: HashMap<OpKey, Vec<usize>>,
    ops: HashMap<OpKey, Vec<usize>>,
    /// By loose type name; with the change's loose member, if any.
    types: HashMap<String, Vec<(usize, Option<String>)>>,
}

impl Anchors {
    fn new(anchors: &[Anchor], of_vendor: impl Iterator<Item = usize>) -> Anchors {
        let mut out = Anchors::default();
        for i in of_vendor {
            let a = &anchors[i];
            if a.whole_vendor {
                out.whole.push(i);
            }
            if a.server {
                out.server.push(i);
            }
            if a.default {
                out.defaults.push(i);
            }
            if let Some(key) = &a.under_op {
                out.under_op.entry(key.clone()).or_default().push(i);
            }
            for key in &a.ops {
                out.ops.entry(key.clone()).or_default().push(i);
                if a.type_names.is_empty() {
                    out.ops_untyped.entry(key.clone()).or_default().push(i);
                }
            }
            for t in &a.type_names {
                let member = a.member.as_deref().map(loose);
                out.types.entry(t.clone()).or_default().push((i, member));
            }
        }
        out
    }
}

/// The document changes (indices) that explain `rc`.
fn candidates(anchors: &Anchors, owner: &Owner, rc: &RustChange, index: &Index) -> Vec<usize> {
    // A vendor added or removed explains its whole module, beside the
    // changes of its operations.
    let mut found = anchors.whole.clone();
    found.extend(by_owner(anchors, owner, rc, index));
    found
}

/// The changes that explain a difference of `owner`: for a type, the best
/// tier of matches (same type and property, same type, an inline type of one
/// of its properties, a type named after it, then the operations whose
/// builders name it).
fn by_owner(anchors: &Anchors, owner: &Owner, rc: &RustChange, index: &Index) -> Vec<usize> {
    let get =
        |map: &HashMap<OpKey, Vec<usize>>, key: &OpKey| map.get(key).cloned().unwrap_or_default();
    match owner {
        Owner::Server => anchors.server.clone(),
        Owner::Defaults => anchors.defaults.clone(),
        Owner::Vendor => Vec::new(),
        Owner::Op(key) => {
            let here = get(&anchors.under_op, key);
            if !here.is_empty() {
                return here;
            }
            get(&anchors.ops, key)
        }
        Owner::Type(name) => {
            let owned = loose(name);
            let name = owned.as_str();
            let member = match rc.item.kind {
                ItemKind::Field => rc.item.wire.clone(),
                _ => rc.path.rsplit("::").next().map(str::to_owned),
            };
            let member = member.map(|m| loose(&m));
            let of = |t: &str| anchors.types.get(t).map(Vec::as_slice).unwrap_or_default();
            // The shorter names this one starts with (the longest first).
            let prefixes = || (1..name.len()).rev().map(|n| &name[..n]);
            let same: Vec<usize> = of(name)
                .iter()
                .filter(|(_, m)| *m == member)
                .map(|(i, _)| *i)
                .collect();
            if !same.is_empty() {
                return same;
            }
            let same: Vec<usize> = of(name).iter().map(|(i, _)| *i).collect();
            if !same.is_empty() {
                return same;
            }
            let inline: Vec<usize> = prefixes()
                .flat_map(|t| {
                    of(t).iter().filter(move |(_, m)| {
                        m.as_deref()
                            .is_some_and(|m| name.len() == t.len() + m.len() && name.ends_with(m))
                    })
                })
                .map(|(i, _)| *i)
                .collect();
            if !inline.is_empty() {
                return inline;
            }
            let named_after: Vec<usize> = prefixes()
                .flat_map(|t| of(t).iter().map(|(i, _)| *i))
                .collect();
            if !named_after.is_empty() {
                return named_after;
            }
            let mut ops: BTreeSet<OpKey> = BTreeSet::new();
            for t in std::iter::once(name).chain(prefixes()) {
                if let Some(found) = index.type_ops.get(t) {
                    ops.extend(found.iter().cloned());
                }
            }
            let here: Vec<usize> = ops.iter().flat_map(|k| get(&anchors.under_op, k)).collect();
            if !here.is_empty() {
                return here;
            }
            ops.iter()
                .flat_map(|k| get(&anchors.ops_untyped, k))
                .collect()
        }
    }
}

/// The Rust judgement of one document change from what it explains.
fn judge(change: &mut Change, explained: &[&RustChange], behaviour: Option<(Level, String)>) {
    let mut level = explained.iter().map(|rc| rc.level).max();
    let mut notes: Vec<String> = Vec::new();
    let runtime_break = behaviour
        .as_ref()
        .is_some_and(|(l, _)| *l == Level::Breaking);
    if let Some((l, note)) = behaviour {
        level = level.max(Some(l));
        notes.push(note);
    }
    notes.extend(summarize(explained));
    let rust = match level {
        None => Impact {
            level: Level::Info,
            note: "the generated api is unchanged by this change".to_owned(),
        },
        Some(level) => Impact {
            level,
            note: notes.join("; "),
        },
    };
    // A call that worked and now fails needs a major bump, like code that
    // no longer compiles.
    let floor = if runtime_break {
        Bump::Major
    } else {
        Bump::Patch
    };
    change.semver = Some(
        explained
            .iter()
            .map(|rc| rc.bump)
            .max()
            .unwrap_or(Bump::Patch)
            .max(floor),
    );
    change.level = change.wire.level.max(rust.level);
    change.rust = Some(rust);
}

/// The notes of the most serious differences, three at most, whole items
/// before their members and trait implementations.
fn summarize(rcs: &[&RustChange]) -> Vec<String> {
    let mut sorted: Vec<&&RustChange> = rcs.iter().collect();
    // Whole items first (a type gone says more than each of its impls).
    let rank = |rc: &RustChange| match rc.item.kind {
        ItemKind::Impl => 2,
        ItemKind::Field | ItemKind::Variant | ItemKind::Method | ItemKind::TraitMethod { .. } => 1,
        _ => 0,
    };
    sorted.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then_with(|| rank(a).cmp(&rank(b)))
            .then_with(|| a.path.cmp(&b.path))
    });
    let mut notes: Vec<String> = sorted.iter().take(3).map(|rc| rc.note.clone()).collect();
    if sorted.len() > 3 {
        notes.push(format!("and {} more", sorted.len() - 3));
    }
    notes
}

fn unexplained_change(
    vendor: &str,
    owner: &Owner,
    rcs: &[&RustChange],
    old: &Revision<'_>,
    new: &Revision<'_>,
) -> Change {
    let (location, side, operations) = place_of(vendor, owner, old, new);
    let revision = if side.is_first() { old } else { new };
    let level = rcs.iter().map(|rc| rc.level).max().unwrap_or(Level::Info);
    let what = match owner {
        Owner::Type(name) => format!("`{vendor}::types::{name}`"),
        Owner::Op(_) => format!("the `{vendor}` client's {}", operations.join(", ")),
        Owner::Server | Owner::Defaults | Owner::Vendor => format!("the `{vendor}` module"),
    };
    Change {
        id: Rule::RustApiChanged.id().to_owned(),
        level,
        vendor: Some(vendor.to_owned()),
        operation: operations.first().cloned(),
        operations,
        line: revision.line(&segments(&location)),
        location,
        side,
        message: format!(
            "the generated rust api of {what} changed where no rule of this tool names the document change"
        ),
        wire: Impact {
            level: Level::Info,
            note: "no wire rule of this tool covers it; read the document change at this place"
                .to_owned(),
        },
        rust: Some(Impact {
            level,
            note: summarize(rcs).join("; "),
        }),
        semver: Some(
            rcs.iter()
                .map(|rc| rc.bump)
                .max()
                .unwrap_or(Bump::Patch)
                .max(Bump::Patch),
        ),
        ignored: None,
    }
}

/// The document place of an owner: its component schema or operation.
fn place_of(
    vendor: &str,
    owner: &Owner,
    old: &Revision<'_>,
    new: &Revision<'_>,
) -> (String, Side, Vec<String>) {
    for (revision, side) in [(new, Side::New), (old, Side::Old)] {
        match owner {
            Owner::Type(name) => {
                if let Some(component) = component_of(vendor, name, revision) {
                    let at = ["components", "schemas", component.as_str()];
                    return (codegen::json_pointer(&at), side, Vec::new());
                }
            }
            Owner::Op((method, path)) => {
                if let Some(op) = revision
                    .operations
                    .iter()
                    .find(|o| &o.method == method && &o.path == path)
                {
                    let at = ["paths", path.as_str(), method.as_str()];
                    return (codegen::json_pointer(&at), side, vec![op.id.clone()]);
                }
            }
            Owner::Server | Owner::Defaults | Owner::Vendor => {}
        }
    }
    ("#".to_owned(), Side::New, Vec::new())
}

/// The component schema a Rust type comes from: the one it is named after,
/// else the one whose name is the longest start of its name (typify names
/// the inline types of a schema's properties after the schema).
fn component_of(vendor: &str, type_name: &str, revision: &Revision<'_>) -> Option<String> {
    let name = loose(type_name);
    revision
        .root()
        .pointer("/components/schemas")
        .and_then(serde_json::Value::as_object)
        .into_iter()
        .flatten()
        .map(|(component, _)| {
            (
                loose(codegen::short_type_name(vendor, component)),
                component,
            )
        })
        .filter(|(short, _)| name.starts_with(short.as_str()))
        .max_by_key(|(short, _)| short.len())
        .map(|(_, component)| component.clone())
}

/// The owner an unexplained difference is reported under: an inline type
/// with the component it is named after, so a field that became a newtype
/// and the newtype are one change.
fn report_owner(vendor: &str, owner: Owner, old: &Revision<'_>, new: &Revision<'_>) -> Owner {
    let Owner::Type(name) = &owner else {
        return owner;
    };
    [new, old]
        .into_iter()
        .find_map(|r| component_of(vendor, name, r))
        .map(|component| Owner::Type(codegen::short_type_name(vendor, &component).to_owned()))
        .unwrap_or(owner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_names_meet_across_cases() {
        assert_eq!(
            loose("CreateInvitationRequest"),
            loose("create_invitation-request")
        );
        assert_ne!(loose("Invitation"), loose("Invitations"));
    }

    #[test]
    fn pointers_split_into_unescaped_segments() {
        assert_eq!(
            segments("#/paths/~1a~1{b}/post/x~0y"),
            ["paths", "/a/{b}", "post", "x~y"]
        );
        assert!(segments("#").is_empty());
    }

    #[test]
    fn owners_come_from_what_the_generated_code_ties_together() {
        let code = r#"
            pub mod types {
                pub struct Thing { pub name: String }
                pub mod builder { pub struct Thing { name: String } }
            }
            pub struct Client;
            impl Client {
                /// Sends a `GET` request to `/things`
                pub fn list_things(&self) -> builder::ListThings<'_> { todo!() }
            }
            pub mod builder {
                pub struct ListThings<'a> { client: &'a super::Client }
                impl<'a> ListThings<'a> {
                    pub async fn send(self) -> Result<ResponseValue<::std::vec::Vec<types::Thing>>, Error<()>> { todo!() }
                }
            }
        "#;
        let surface = Surface::read("v", code, None).unwrap();
        let index = Index::read("v", [&surface, &surface]);
        let key = ("get".to_owned(), "/things".to_owned());
        assert_eq!(
            index.owner("v", "v::Client::list_things"),
            Owner::Op(key.clone())
        );
        assert_eq!(
            index.owner("v", "v::builder::ListThings::send"),
            Owner::Op(key.clone())
        );
        assert_eq!(
            index.owner("v", "v::mock::operations::ListThingsWhen::into_inner"),
            Owner::Op(key.clone())
        );
        assert_eq!(
            index.owner("v", "v::types::builder::Thing::name"),
            Owner::Type("Thing".to_owned())
        );
        assert_eq!(index.owner("v", "v::DEFAULT_BASE_URL"), Owner::Server);
        assert!(
            index.type_ops["thing"].contains(&key),
            "the builder names `Thing`"
        );
    }
}
