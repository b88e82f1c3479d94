//! Reading generated code as a caller sees it: visibility, `serde`
//! attributes, progenitor's "Sends a `METHOD` request to `/path`" docs,
//! method signatures without parameter names, and token text written one way
//! (`tidy`), so that one type named by several paths compares equal.

use quote::ToTokens;

pub(super) fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

pub(super) fn non_exhaustive(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("non_exhaustive"))
}

/// The items of the `#[serde(...)]` attributes: each name, with its value
/// when it is a string (`rename = "x"`).
fn serde_items(attrs: &[syn::Attribute]) -> Vec<(String, Option<String>)> {
    let mut items = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            let name = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            if meta.input.peek(syn::Token![=]) {
                let value: syn::Expr = meta.value()?.parse()?;
                let text = match value {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => Some(s.value()),
                    _ => None,
                };
                items.push((name, text));
            } else {
                if meta.input.peek(syn::token::Paren) {
                    let _ = meta.parse_nested_meta(|_| Ok(()));
                }
                items.push((name, None));
            }
            Ok(())
        });
    }
    items
}

/// Whether a `#[serde(...)]` attribute holds the bare flag `name`.
pub(super) fn serde_flag(attrs: &[syn::Attribute], name: &str) -> bool {
    serde_items(attrs)
        .iter()
        .any(|(item, value)| item == name && value.is_none())
}

/// The `rename = "..."` of a `#[serde(...)]` attribute.
pub(super) fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    serde_items(attrs)
        .into_iter()
        .find(|(item, _)| item == "rename")
        .and_then(|(_, value)| value)
}

/// progenitor documents each client method with the request it sends:
/// "Sends a `POST` request to `/path`". Returns `POST /path`.
pub(super) fn sends(attrs: &[syn::Attribute]) -> Option<String> {
    const MARK: &str = "Sends a `";
    for attr in attrs.iter().filter(|a| a.path().is_ident("doc")) {
        let syn::Meta::NameValue(nv) = &attr.meta else {
            continue;
        };
        let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(text),
            ..
        }) = &nv.value
        else {
            continue;
        };
        let text = text.value();
        let Some(start) = text.find(MARK) else {
            continue;
        };
        let rest = &text[start + MARK.len()..];
        let (method, rest) = rest.split_once("` request to `")?;
        let (path, _) = rest.split_once('`')?;
        return Some(format!("{method} {path}"));
    }
    None
}

/// A method's signature without its name, parameter names or attributes:
/// what callers depend on.
pub(super) fn signature(sig: &syn::Signature) -> String {
    let inputs: Vec<String> = sig
        .inputs
        .iter()
        .map(|input| match input {
            syn::FnArg::Receiver(r) => match &r.kind {
                syn::ReceiverKind::Reference(_, lifetime, mutability) => {
                    let lifetime = lifetime
                        .as_ref()
                        .map(|l| format!("{l} "))
                        .unwrap_or_default();
                    let mutability = if mutability.is_some() { "mut " } else { "" };
                    format!("&{lifetime}{mutability}self")
                }
                syn::ReceiverKind::Typed(_, ty) => {
                    format!("self: {}", tidy(&ty.to_token_stream().to_string()))
                }
                _ => "self".to_owned(),
            },
            syn::FnArg::Typed(t) => tidy(&t.ty.to_token_stream().to_string()),
        })
        .collect();
    let generics = tidy(&sig.generics.to_token_stream().to_string());
    let output = match &sig.output {
        syn::ReturnType::Default => String::new(),
        syn::ReturnType::Type(_, ty) => format!(" -> {}", tidy(&ty.to_token_stream().to_string())),
    };
    let asyncness = if sig.asyncness.is_some() {
        "async "
    } else {
        ""
    };
    let where_clause = sig
        .generics
        .where_clause
        .as_ref()
        .map(|w| format!(" {}", tidy(&w.to_token_stream().to_string())))
        .unwrap_or_default();
    format!(
        "{asyncness}fn{generics}({}){output}{where_clause}",
        inputs.join(", ")
    )
}

/// The last name of a type path: `Foo<'a>` → `Foo`, `&Client` → `Client`.
pub(super) fn type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        syn::Type::Reference(r) => type_name(&r.elem),
        _ => None,
    }
}

/// Names and targets of a `pub use` tree.
pub(super) fn flatten_use(tree: &syn::UseTree, prefix: String, out: &mut Vec<(String, String)>) {
    match tree {
        syn::UseTree::Path(p) => flatten_use(&p.tree, format!("{prefix}{}::", p.ident), out),
        syn::UseTree::Name(n) => out.push((n.ident.to_string(), format!("{prefix}{}", n.ident))),
        syn::UseTree::Rename(r) => out.push((r.rename.to_string(), format!("{prefix}{}", r.ident))),
        syn::UseTree::Glob(_) => out.push((format!("{prefix}*"), format!("{prefix}*"))),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                flatten_use(t, prefix.clone(), out);
            }
        }
    }
}

/// A trait as an impl key: its name and type arguments, as a derive names
/// it too (`::serde::Deserialize<'de>` → `Deserialize`,
/// `::std::convert::TryFrom<&str>` → `TryFrom<&str>`).
pub(super) fn trait_name(path: &syn::Path) -> String {
    let Some(last) = path.segments.last() else {
        return String::new();
    };
    let mut name = last.ident.to_string();
    if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
        let types: Vec<String> = args
            .args
            .iter()
            .filter(|a| !matches!(a, syn::GenericArgument::Lifetime(_)))
            .map(|a| tidy(&a.to_token_stream().to_string()))
            .collect();
        if !types.is_empty() {
            name.push_str(&format!("<{}>", types.join(", ")));
        }
    }
    name
}

/// Whether `text` names the type `name` (as a whole word).
pub(super) fn mentions(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + name.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !word(before) && !word(after)
    })
}

/// Token text as a person writes it, with paths to the same type written
/// one way: `:: std :: option :: Option < String >` → `Option<String>`,
/// `super::State`, `types::State` and `crate::v::types::State` → `State`.
pub(super) fn tidy(tokens: &str) -> String {
    // Token by token (proc-macro2 separates tokens with spaces): a space only
    // between two words (`mut self`, `dyn Trait`), `: ` and `, ` after a
    // single colon or a comma, ` -> ` around an arrow; trailing commas go.
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '\'';
    let mut out = String::with_capacity(tokens.len());
    for token in tokens.split_whitespace() {
        match token {
            ":" => out.push_str(": "),
            "," => out.push_str(", "),
            "->" => out.push_str(" -> "),
            _ => {
                let joins = out.chars().next_back().is_some_and(word)
                    && token.chars().next().is_some_and(word);
                if joins || out.ends_with(',') {
                    out.push(' ');
                }
                out.push_str(token);
            }
        }
    }
    let out = out
        .replace(", >", ">")
        .replace(", )", ")")
        .replace(", ]", "]")
        .replace("  ", " ");
    let out = out.trim_end_matches([',', ' ']).to_owned();
    // `::std::option::Option` → `Option`; `crate::<vendor>::types::X`,
    // `super::X` and `types::X` → `X` (generated code names its own types
    // by several paths).
    let mut cleaned = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while !rest.is_empty() {
        let starts_word = cleaned
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':'));
        let skip = if !starts_word {
            None
        } else if let Some(after) = rest
            .strip_prefix("::std::")
            .or_else(|| rest.strip_prefix("std::"))
        {
            after.find("::").map(|i| rest.len() - after.len() + i + 2)
        } else if let Some(after) = rest.strip_prefix("crate::") {
            // `crate::<vendor>::types::`, the vendor one identifier.
            let vendor = after
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            after[vendor..]
                .starts_with("::types::")
                .then(|| "crate::".len() + vendor + "::types::".len())
        } else if rest.starts_with("super::") {
            Some("super::".len())
        } else if rest.starts_with("types::") {
            Some("types::".len())
        } else {
            None
        };
        match skip {
            Some(n) => rest = &rest[n..],
            None => {
                let c = rest.chars().next().expect("not empty");
                cleaned.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    cleaned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_type_written_by_several_paths_has_one_signature() {
        assert_eq!(
            tidy(":: std :: option :: Option < super :: State >"),
            "Option<State>"
        );
        assert_eq!(tidy("Option<crate::acme::types::State>"), "Option<State>");
        assert_eq!(
            tidy("Result<ResponseValue<types::Thing>, Error<()>>"),
            "Result<ResponseValue<Thing>, Error<()>>"
        );
        assert_eq!(tidy("my_types::X"), "my_types::X");
        assert_eq!(
            tidy(
                "T : :: std :: convert :: TryInto < Option < super :: State > , > , T :: Error : :: std :: fmt :: Display ,"
            ),
            "T: TryInto<Option<State>>, T::Error: Display"
        );
        assert_eq!(tidy("& 'a str"), "&'a str");
        assert_eq!(tidy("crate :: hooks :: Inner"), "crate::hooks::Inner");
    }
}
