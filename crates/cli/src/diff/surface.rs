//! The public Rust API of generated code, read with `syn` from the code the
//! generator produced, and the comparison of two such APIs.
//!
//! This is where the diff's Rust verdict comes from: nothing here knows how
//! progenitor or typify name things. An item is anything a caller can name
//! or rely on: modules, types, their public fields and variants, methods
//! (builder setters and client methods among them), trait methods, constants,
//! re-exports and the traits a type implements (derived or written). Each is
//! keyed by its path (`hybridbox::types::Invitation::email`) and carries a
//! signature; two surfaces are compared item by item, judged by Cargo's
//! semver rules:
//! - an item removed, or its signature changed: breaking;
//! - a public field added to a struct whose fields are all public (struct
//!   literals and patterns break), a variant added to an exhaustive enum, a
//!   required method added to a trait others can implement: breaking;
//! - anything else added: an addition (minor);
//! - a constant's value changed: a change of behaviour (warning, patch).

use std::collections::BTreeMap;

use quote::ToTokens;

use super::syntax::{
    flatten_use, is_pub, mentions, non_exhaustive, sends, serde_flag, serde_rename, signature,
    tidy, trait_name, type_name,
};
use super::{Bump, Level};

/// What kind of item a path names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemKind {
    /// A module.
    Module,
    /// A struct; `open` when every field is public (so it can be built with
    /// a struct literal and a new field breaks that).
    Struct {
        /// Every field is public.
        open: bool,
    },
    /// An enum; `open` when it is exhaustive (a new variant breaks `match`).
    Enum {
        /// Not `#[non_exhaustive]`.
        open: bool,
    },
    /// A trait; `open` when code outside the crate can implement it.
    Trait {
        /// Not sealed.
        open: bool,
    },
    /// A public field of a struct.
    Field,
    /// A variant of an enum.
    Variant,
    /// A method of an inherent impl, or a free function.
    Method,
    /// A method of a trait; `required` when it has no default body.
    TraitMethod {
        /// Implementors must write it.
        required: bool,
    },
    /// A trait implemented by a type (derived or written).
    Impl,
    /// A constant; its value is kept apart from its type.
    Const {
        /// The value's tokens.
        value: String,
    },
    /// A `pub use` re-export or a type alias.
    Alias,
    /// `#[serde(deny_unknown_fields)]` on a type: it refuses JSON with
    /// fields it does not know (a behaviour, not a signature).
    DenyUnknownFields,
}

/// One item of the public API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// What it is.
    pub kind: ItemKind,
    /// Its signature, tidied: a field's type, a method's parameters and
    /// result, a variant's fields; empty where the path says it all.
    pub signature: String,
    /// For a field: the JSON property it carries (its `serde(rename)`, else
    /// its name). For a client method: the `METHOD /path` it sends.
    pub wire: Option<String>,
}

/// The public API of one vendor's generated code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Surface {
    /// Every item by its path, `vendor::...`.
    pub items: BTreeMap<String, Item>,
}

impl Surface {
    /// Reads the public API of `vendor`'s generated module (`code`) and of
    /// its mock module (`mock`, read as `vendor::mock`).
    #[cfg(test)]
    pub fn read(vendor: &str, code: &str, mock: Option<&str>) -> Result<Surface, syn::Error> {
        let mock = mock.map(syn::parse_file).transpose()?;
        Ok(Surface::of(vendor, &syn::parse_file(code)?, mock.as_ref()))
    }

    /// The public API of `vendor`'s generated module and mock module, given
    /// as syntax trees.
    pub fn of(vendor: &str, code: &syn::File, mock: Option<&syn::File>) -> Surface {
        let mut surface = Surface::default();
        surface.insert(vendor, ItemKind::Module, String::new(), None);
        surface.module(vendor, &code.items);
        if let Some(mock) = mock {
            let path = format!("{vendor}::mock");
            surface.insert(&path, ItemKind::Module, String::new(), None);
            surface.module(&path, &mock.items);
        }
        surface
    }

    fn insert(&mut self, path: &str, kind: ItemKind, signature: String, wire: Option<String>) {
        self.items.insert(
            path.to_owned(),
            Item {
                kind,
                signature,
                wire,
            },
        );
    }

    fn module(&mut self, at: &str, items: &[syn::Item]) {
        let local: Vec<String> = items
            .iter()
            .filter_map(|item| match item {
                syn::Item::Struct(s) => Some(s.ident.to_string()),
                syn::Item::Enum(e) => Some(e.ident.to_string()),
                syn::Item::Trait(t) => Some(t.ident.to_string()),
                syn::Item::Type(t) => Some(t.ident.to_string()),
                _ => None,
            })
            .collect();
        for item in items {
            match item {
                syn::Item::Const(c) if is_pub(&c.vis) => self.insert(
                    &format!("{at}::{}", c.ident),
                    ItemKind::Const {
                        value: tidy(&c.expr.to_token_stream().to_string()),
                    },
                    tidy(&c.ty.to_token_stream().to_string()),
                    None,
                ),
                syn::Item::Use(u) if is_pub(&u.vis) => {
                    let mut uses = Vec::new();
                    flatten_use(&u.tree, String::new(), &mut uses);
                    for (name, target) in uses {
                        self.insert(&format!("{at}::{name}"), ItemKind::Alias, target, None);
                    }
                }
                syn::Item::Type(t) if is_pub(&t.vis) => self.insert(
                    &format!("{at}::{}", t.ident),
                    ItemKind::Alias,
                    tidy(&t.ty.to_token_stream().to_string()),
                    None,
                ),
                syn::Item::Mod(m) if is_pub(&m.vis) => {
                    let path = format!("{at}::{}", m.ident);
                    self.insert(&path, ItemKind::Module, String::new(), None);
                    if let Some((_, inner)) = &m.content {
                        self.module(&path, inner);
                    }
                }
                syn::Item::Struct(s) if is_pub(&s.vis) => self.structure(at, s),
                syn::Item::Enum(e) if is_pub(&e.vis) => self.enumeration(at, e),
                syn::Item::Trait(t) if is_pub(&t.vis) => self.trait_item(at, t),
                syn::Item::Fn(f) if is_pub(&f.vis) => self.insert(
                    &format!("{at}::{}", f.sig.ident),
                    ItemKind::Method,
                    signature(&f.sig),
                    None,
                ),
                syn::Item::Impl(block) => self.implementation(at, block, &local),
                _ => {}
            }
        }
    }

    fn derives(&mut self, path: &str, attrs: &[syn::Attribute]) {
        for attr in attrs.iter().filter(|a| a.path().is_ident("derive")) {
            let Ok(list) = attr.parse_args_with(
                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
            ) else {
                continue;
            };
            for derived in list {
                let name = derived.segments.last().map(|s| s.ident.to_string());
                if let Some(name) = name {
                    self.insert(
                        &format!("{path}: {name}"),
                        ItemKind::Impl,
                        String::new(),
                        None,
                    );
                }
            }
        }
    }

    fn structure(&mut self, at: &str, s: &syn::ItemStruct) {
        let path = format!("{at}::{}", s.ident);
        let open = s.fields.iter().all(|f| is_pub(&f.vis)) && !non_exhaustive(&s.attrs);
        self.insert(
            &path,
            ItemKind::Struct { open },
            tidy(&s.generics.to_token_stream().to_string()),
            None,
        );
        self.derives(&path, &s.attrs);
        if serde_flag(&s.attrs, "deny_unknown_fields") {
            self.insert(
                &format!("{path}: serde(deny_unknown_fields)"),
                ItemKind::DenyUnknownFields,
                String::new(),
                None,
            );
        }
        for (i, field) in s.fields.iter().enumerate() {
            if !is_pub(&field.vis) {
                continue;
            }
            let name = field
                .ident
                .as_ref()
                .map(|i| i.to_string().trim_start_matches("r#").to_owned())
                .unwrap_or_else(|| i.to_string());
            let wire = serde_rename(&field.attrs).unwrap_or_else(|| name.clone());
            self.insert(
                &format!("{path}::{name}"),
                ItemKind::Field,
                tidy(&field.ty.to_token_stream().to_string()),
                Some(wire),
            );
        }
    }

    fn enumeration(&mut self, at: &str, e: &syn::ItemEnum) {
        let path = format!("{at}::{}", e.ident);
        self.insert(
            &path,
            ItemKind::Enum {
                open: !non_exhaustive(&e.attrs),
            },
            tidy(&e.generics.to_token_stream().to_string()),
            None,
        );
        self.derives(&path, &e.attrs);
        for variant in &e.variants {
            let wire = serde_rename(&variant.attrs);
            self.insert(
                &format!("{path}::{}", variant.ident),
                ItemKind::Variant,
                tidy(&variant.fields.to_token_stream().to_string()),
                wire,
            );
        }
    }

    fn trait_item(&mut self, at: &str, t: &syn::ItemTrait) {
        let path = format!("{at}::{}", t.ident);
        // Sealed: a supertrait from a module that is not public here.
        let sealed = t.supertraits.iter().any(|b| {
            matches!(b, syn::TypeParamBound::Trait(tb)
                if tb.path.segments.len() > 1
                    && tb.path.segments.first().is_some_and(|s| s.ident == "sealed" || s.ident == "private"))
        });
        self.insert(
            &path,
            ItemKind::Trait { open: !sealed },
            tidy(&t.generics.to_token_stream().to_string()),
            None,
        );
        for item in &t.items {
            if let syn::TraitItem::Fn(f) = item {
                self.insert(
                    &format!("{path}::{}", f.sig.ident),
                    ItemKind::TraitMethod {
                        required: f.default.is_none(),
                    },
                    signature(&f.sig),
                    None,
                );
            }
        }
    }

    fn implementation(&mut self, at: &str, block: &syn::ItemImpl, local: &[String]) {
        let Some(self_name) = type_name(&block.self_ty) else {
            return;
        };
        let path = format!("{at}::{self_name}");
        if let Some((trait_path, _)) = &block.trait_ {
            let trait_text = trait_name(trait_path);
            if local.contains(&self_name) {
                self.insert(
                    &format!("{path}: {trait_text}"),
                    ItemKind::Impl,
                    String::new(),
                    None,
                );
            } else if let Some(owner) = local.iter().find(|l| mentions(&trait_text, l)) {
                // `impl From<Local> for String`: a conversion of the local type.
                let target = tidy(&block.self_ty.to_token_stream().to_string());
                self.insert(
                    &format!("{at}::{owner}: {trait_text} for {target}"),
                    ItemKind::Impl,
                    String::new(),
                    None,
                );
            }
            return;
        }
        for item in &block.items {
            if let syn::ImplItem::Fn(f) = item
                && is_pub(&f.vis)
            {
                self.insert(
                    &format!("{path}::{}", f.sig.ident),
                    ItemKind::Method,
                    signature(&f.sig),
                    sends(&f.attrs),
                );
            }
        }
    }
}

/// How serious one Rust difference is, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RustChange {
    /// The item's path.
    pub path: String,
    /// How serious it is for code written against the old API.
    pub level: Level,
    /// The bump it needs on its own.
    pub bump: Bump,
    /// What happened to the item, in one lowercase phrase.
    pub note: String,
    /// The item as it is in the new API (added or changed), else as it was.
    pub item: Item,
}

/// Compares two APIs (of one vendor, or of vendors that exist on one side
/// only, where the other is empty).
pub fn compare(old: &Surface, new: &Surface) -> Vec<RustChange> {
    let mut out = Vec::new();
    for (path, o) in &old.items {
        match new.items.get(path) {
            None if o.kind == ItemKind::DenyUnknownFields => out.push(RustChange {
                path: path.clone(),
                level: Level::Info,
                bump: Bump::Patch,
                note: format!(
                    "`{}` accepts unknown fields now",
                    parent_of(path).unwrap_or(path)
                ),
                item: o.clone(),
            }),
            None => out.push(RustChange {
                path: path.clone(),
                level: Level::Breaking,
                bump: Bump::Major,
                note: format!("`{path}` {} is gone", describe(o)),
                item: o.clone(),
            }),
            Some(n) if n != o => out.push(changed(path, o, n)),
            Some(_) => {}
        }
    }
    for (path, n) in &new.items {
        if old.items.contains_key(path) {
            continue;
        }
        let parent = parent_of(path).and_then(|p| old.items.get(p));
        let breaks = match (&n.kind, parent.map(|p| &p.kind)) {
            (ItemKind::Field, Some(ItemKind::Struct { open: true })) => {
                Some("struct literals and exhaustive patterns of the struct no longer compile")
            }
            (ItemKind::Variant, Some(ItemKind::Enum { open: true })) => {
                Some("exhaustive `match`es on the enum no longer compile")
            }
            (ItemKind::TraitMethod { required: true }, Some(ItemKind::Trait { open: true })) => {
                Some("implementations of the trait outside the crate no longer compile")
            }
            _ => None,
        };
        if n.kind == ItemKind::DenyUnknownFields {
            out.push(RustChange {
                path: path.clone(),
                level: Level::Warning,
                bump: Bump::Patch,
                note: format!(
                    "`{}` now refuses unknown fields: json with a field the document does not list fails to parse",
                    parent_of(path).unwrap_or(path)
                ),
                item: n.clone(),
            });
            continue;
        }
        out.push(match breaks {
            Some(why) => RustChange {
                path: path.clone(),
                level: Level::Breaking,
                bump: Bump::Major,
                note: format!("new {} `{path}`: {why}", describe(n)),
                item: n.clone(),
            },
            None => RustChange {
                path: path.clone(),
                level: Level::Info,
                bump: Bump::Minor,
                note: format!("new {} `{path}`", describe(n)),
                item: n.clone(),
            },
        });
    }
    out
}

fn changed(path: &str, o: &Item, n: &Item) -> RustChange {
    let (level, bump, note) = match (&o.kind, &n.kind) {
        (ItemKind::Const { value: ov }, ItemKind::Const { value: nv })
            if o.signature == n.signature =>
        {
            (
                Level::Warning,
                Bump::Patch,
                format!("`{path}` changes from {ov} to {nv}"),
            )
        }
        (ItemKind::Struct { open: false }, ItemKind::Struct { open: true })
        | (ItemKind::Enum { open: false }, ItemKind::Enum { open: true })
        | (ItemKind::Trait { open: false }, ItemKind::Trait { open: true })
            if o.signature == n.signature =>
        {
            (
                Level::Info,
                Bump::Minor,
                format!("`{path}` can now be built or implemented outside the crate"),
            )
        }
        (ItemKind::Struct { .. }, ItemKind::Struct { .. })
        | (ItemKind::Enum { .. }, ItemKind::Enum { .. })
        | (ItemKind::Trait { .. }, ItemKind::Trait { .. })
            if o.signature == n.signature =>
        {
            (
                Level::Breaking,
                Bump::Major,
                format!(
                    "`{path}` can no longer be built, matched or implemented outside the crate"
                ),
            )
        }
        (ItemKind::TraitMethod { required: true }, ItemKind::TraitMethod { required: false })
            if o.signature == n.signature =>
        {
            (
                Level::Info,
                Bump::Minor,
                format!("`{path}` gains a default body"),
            )
        }
        _ if o.wire != n.wire && o.signature == n.signature && o.kind == n.kind => (
            Level::Warning,
            Bump::Patch,
            format!(
                "`{path}` now stands for {} instead of {}",
                n.wire.as_deref().unwrap_or("nothing"),
                o.wire.as_deref().unwrap_or("nothing")
            ),
        ),
        _ if o.kind != n.kind => (
            Level::Breaking,
            Bump::Major,
            format!("`{path}` changes from {} to {}", describe(o), describe(n)),
        ),
        _ => (
            Level::Breaking,
            Bump::Major,
            format!(
                "`{path}` changes from `{}` to `{}`",
                o.signature, n.signature
            ),
        ),
    };
    RustChange {
        path: path.to_owned(),
        level,
        bump,
        note,
        item: n.clone(),
    }
}

/// The path an item belongs to: `a::B::c` → `a::B`, `a::B: Clone` → `a::B`.
pub fn parent_of(path: &str) -> Option<&str> {
    if let Some((owner, _)) = path.split_once(": ") {
        return Some(owner);
    }
    path.rsplit_once("::").map(|(parent, _)| parent)
}

fn describe(item: &Item) -> &'static str {
    match item.kind {
        ItemKind::Module => "module",
        ItemKind::Struct { .. } => "struct",
        ItemKind::Enum { .. } => "enum",
        ItemKind::Trait { open: true } => "trait",
        ItemKind::Trait { open: false } => "sealed trait",
        ItemKind::Field => "field",
        ItemKind::Variant => "variant",
        ItemKind::Method => "method",
        ItemKind::TraitMethod { required: true } => "required trait method",
        ItemKind::TraitMethod { required: false } => "provided trait method",
        ItemKind::Impl => "trait implementation",
        ItemKind::Const { .. } => "constant",
        ItemKind::Alias => "re-export",
        ItemKind::DenyUnknownFields => "serde(deny_unknown_fields)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = r#"
        pub const DEFAULT_BASE_URL: &str = "https://a.example";
        pub use progenitor_client::{Error, ResponseValue};
        pub mod types {
            #[derive(Clone, Debug, ::serde::Serialize)]
            pub struct Invitation {
                pub email: ::std::string::String,
                #[serde(rename = "createdAt")]
                pub created_at: Option<String>,
            }
            pub struct Locale(String);
            impl ::std::convert::TryFrom<&str> for Locale {}
            pub enum Status { Pending, Other(String) }
            pub mod builder {
                pub struct Invitation { email: Result<String, String> }
                impl Invitation {
                    pub fn email<T>(mut self, value: T) -> Self where T: TryInto<String> { self }
                }
            }
        }
        pub struct Client { pub(crate) baseurl: String }
        impl Client {
            /// Sends a `POST` request to `/a/{b}`
            pub fn create(&self) -> builder::Create<'_> { todo!() }
            fn private(&self) {}
        }
        mod sealed { pub trait Sealed {} }
    "#;

    fn surface(code: &str) -> Surface {
        Surface::read("v", code, None).unwrap()
    }

    #[test]
    fn reads_public_items_with_their_signatures() {
        let s = surface(OLD);
        let item = |p: &str| s.items.get(p).unwrap_or_else(|| panic!("no {p}"));
        assert_eq!(item("v::types::Invitation::email").signature, "String");
        assert_eq!(
            item("v::types::Invitation::created_at").wire.as_deref(),
            Some("createdAt")
        );
        assert_eq!(
            item("v::types::Invitation").kind,
            ItemKind::Struct { open: true }
        );
        assert_eq!(
            item("v::types::Locale").kind,
            ItemKind::Struct { open: false }
        );
        assert!(s.items.contains_key("v::types::Invitation: Clone"));
        assert!(s.items.contains_key("v::types::Locale: TryFrom<&str>"));
        assert_eq!(
            item("v::types::builder::Invitation::email").signature,
            "fn<T>(self, T) -> Self where T: TryInto<String>"
        );
        assert_eq!(
            item("v::Client::create").wire.as_deref(),
            Some("POST /a/{b}")
        );
        assert_eq!(item("v::Error").signature, "progenitor_client::Error");
        assert!(!s.items.contains_key("v::Client::private"));
        assert!(!s.items.contains_key("v::Client::baseurl"));
        assert!(!s.items.keys().any(|k| k.contains("sealed")));
    }

    #[test]
    fn identical_code_has_no_changes_and_docs_do_not_count() {
        let documented = OLD.replace("pub struct Locale", "/// A locale.\n pub struct Locale");
        assert!(compare(&surface(OLD), &surface(&documented)).is_empty());
    }

    #[test]
    fn a_field_whose_type_becomes_a_newtype_is_a_break() {
        let new = OLD.replace(
            "pub created_at: Option<String>",
            "pub created_at: Option<CreatedAt>",
        );
        let changes = compare(&surface(OLD), &surface(&new));
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].path, "v::types::Invitation::created_at");
        assert_eq!(
            (changes[0].level, changes[0].bump),
            (Level::Breaking, Bump::Major)
        );
        assert!(
            changes[0]
                .note
                .contains("`Option<String>` to `Option<CreatedAt>`"),
            "{}",
            changes[0].note
        );
    }

    #[test]
    fn additions_are_minor_unless_they_break_literals_matches_or_implementations() {
        let new = OLD
            .replace(
                "pub email: ::std::string::String,",
                "pub email: ::std::string::String, pub note: Option<String>,",
            )
            .replace("Pending,", "Pending, Accepted,")
            .replace(
                "fn private(&self) {}",
                "fn private(&self) {} pub fn list(&self) {}",
            )
            .replace(
                "pub struct Locale(String);",
                "pub struct Locale(String); pub struct Extra(String);",
            );
        let changes = compare(&surface(OLD), &surface(&new));
        let by_path: BTreeMap<&str, Bump> =
            changes.iter().map(|c| (c.path.as_str(), c.bump)).collect();
        assert_eq!(by_path["v::types::Invitation::note"], Bump::Major);
        assert_eq!(by_path["v::types::Status::Accepted"], Bump::Major);
        assert_eq!(by_path["v::Client::list"], Bump::Minor);
        assert_eq!(by_path["v::types::Extra"], Bump::Minor);
    }

    #[test]
    fn a_required_method_breaks_an_open_trait_but_not_a_sealed_one() {
        let open = "pub trait Ext { fn a(&self); }";
        let open_more = "pub trait Ext { fn a(&self); fn b(&self); }";
        let sealed = "pub trait Ext: sealed::Sealed { fn a(&self); }";
        let sealed_more = "pub trait Ext: sealed::Sealed { fn a(&self); fn b(&self); }";
        let bump = |a: &str, b: &str| {
            let changes = compare(&surface(a), &surface(b));
            changes.iter().map(|c| c.bump).max().unwrap_or(Bump::None)
        };
        assert_eq!(bump(open, open_more), Bump::Major);
        assert_eq!(bump(sealed, sealed_more), Bump::Minor);
        assert_eq!(bump(open, sealed), Bump::Major);
    }

    #[test]
    fn a_constant_value_change_is_a_warning() {
        let new = OLD.replace("https://a.example", "https://b.example");
        let changes = compare(&surface(OLD), &surface(&new));
        assert_eq!(changes.len(), 1);
        assert_eq!(
            (changes[0].level, changes[0].bump),
            (Level::Warning, Bump::Patch)
        );
    }

    #[test]
    fn parents_of_members_and_impls() {
        assert_eq!(parent_of("v::types::A::b"), Some("v::types::A"));
        assert_eq!(parent_of("v::types::A: Clone"), Some("v::types::A"));
        assert_eq!(parent_of("v"), None);
    }
}
