//! The registry of the kinds of change the diff reports: one [`Rule`] per
//! change id, with its one-line meaning. The judgements of each change
//! (wire, Rust, semver) are made where it is found, in `wire`; the README's
//! rule table lists every id here (a unit test checks both ways).

use std::fmt;

/// Declares [`Rule`] with its ids and summaries, in one table.
macro_rules! rules {
    ($($variant:ident = $id:literal: $summary:literal,)*) => {
        /// A kind of change between two revisions of the document; its
        /// [`Rule::id`] is the `id` of each [`Change`](super::Change) of
        /// that kind.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $(
                #[doc = concat!("`", $id, "`: ", $summary, ".")]
                $variant,
            )*
        }

        impl Rule {
            /// Every rule, in the order of the README's rule table.
            pub const ALL: &[Rule] = &[$(Rule::$variant,)*];

            /// The stable kebab-case id, such as
            /// `request-property-became-required`.
            pub fn id(self) -> &'static str {
                match self {
                    $(Rule::$variant => $id,)*
                }
            }

            /// What a change of this kind means, in one lowercase line.
            pub fn summary(self) -> &'static str {
                match self {
                    $(Rule::$variant => $summary,)*
                }
            }
        }
    };
}

rules! {
    VendorAdded = "vendor-added": "a vendor (server with `x-vendor`, Rust module) was added",
    VendorRemoved = "vendor-removed": "a vendor (server with `x-vendor`, Rust module) was removed",
    ServerUrlChanged = "server-url-changed": "a vendor's server url changed",
    PathAdded = "path-added": "a path was added with all its operations",
    PathRemoved = "path-removed": "a path was removed with all its operations",
    OperationAdded = "operation-added": "an operation was added to an existing path",
    OperationRemoved = "operation-removed": "an operation was removed from a path that stays",
    OperationRenamed = "operation-renamed": "an operation's `operationId` (its Rust method) changed",
    OperationPathChanged = "operation-path-changed": "an operation moved to another path or method",
    ParameterAdded = "parameter-added": "an operation gained a parameter",
    ParameterRemoved = "parameter-removed": "an operation lost a parameter",
    ParameterBecameRequired = "parameter-became-required": "an optional parameter became required",
    ParameterBecameOptional = "parameter-became-optional": "a required parameter became optional",
    ParameterTypeChanged = "parameter-type-changed": "a parameter's type or format changed",
    RequestBodyBecameRequired = "request-body-became-required": "an optional request body became required",
    RequestBodyBecameOptional = "request-body-became-optional": "a required request body became optional",
    RequestBodyAdded = "request-body-added": "an operation gained a request body",
    RequestBodyRemoved = "request-body-removed": "an operation lost its request body",
    RequestPropertyAdded = "request-property-added": "a request schema gained a property",
    RequestPropertyRemoved = "request-property-removed": "a request schema lost a property",
    RequestPropertyBecameRequired = "request-property-became-required": "an optional request property became required",
    RequestPropertyBecameOptional = "request-property-became-optional": "a required request property became optional",
    RequestPropertyBecameNullable = "request-property-became-nullable": "a request property became nullable",
    RequestPropertyBecameNotNullable = "request-property-became-not-nullable": "a nullable request property is no longer nullable",
    ResponsePropertyAdded = "response-property-added": "a response schema gained a property",
    ResponsePropertyRemoved = "response-property-removed": "a response schema lost a property",
    ResponsePropertyBecameRequired = "response-property-became-required": "an optional response property became required",
    ResponsePropertyBecameOptional = "response-property-became-optional": "a required response property became optional",
    ResponsePropertyBecameNullable = "response-property-became-nullable": "a response property became nullable",
    ResponsePropertyBecameNotNullable = "response-property-became-not-nullable": "a nullable response property is no longer nullable",
    RequestPropertyTypeChanged = "request-property-type-changed": "a request property's type or format changed",
    ResponsePropertyTypeChanged = "response-property-type-changed": "a response property's type or format changed",
    RequestBodyTypeChanged = "request-body-type-changed": "the request body's type or format changed",
    ResponseBodyTypeChanged = "response-body-type-changed": "the success response body's type or format changed",
    RequestEnumValueAdded = "request-enum-value-added": "an enum in a request gained a value",
    RequestEnumValueRemoved = "request-enum-value-removed": "an enum in a request lost a value",
    ResponseEnumValueAdded = "response-enum-value-added": "an enum in a response gained a value",
    ResponseEnumValueRemoved = "response-enum-value-removed": "an enum in a response lost a value",
    RequestEnumBecameOpen = "request-enum-became-open": "an enum in a request became open (`x-open-enum`)",
    RequestEnumBecameClosed = "request-enum-became-closed": "an open enum (`x-open-enum`) in a request became closed",
    ResponseEnumBecameOpen = "response-enum-became-open": "an enum in a response became open (`x-open-enum`)",
    ResponseEnumBecameClosed = "response-enum-became-closed": "an open enum (`x-open-enum`) in a response became closed",
    RequestEnumConstraintChanged = "request-enum-constraint-changed": "a schema in a request became an enum or stopped being one",
    ResponseEnumConstraintChanged = "response-enum-constraint-changed": "a schema in a response became an enum or stopped being one",
    RequestVariantAdded = "request-variant-added": "a `oneOf` / `anyOf` in a request gained a variant",
    RequestVariantRemoved = "request-variant-removed": "a `oneOf` / `anyOf` in a request lost a variant",
    ResponseVariantAdded = "response-variant-added": "a `oneOf` / `anyOf` in a response gained a variant",
    ResponseVariantRemoved = "response-variant-removed": "a `oneOf` / `anyOf` in a response lost a variant",
    RequestAdditionalPropertiesTightened = "request-additional-properties-tightened": "a request schema's `additionalProperties` lets less through",
    RequestAdditionalPropertiesLoosened = "request-additional-properties-loosened": "a request schema's `additionalProperties` lets more through",
    ResponseAdditionalPropertiesTightened = "response-additional-properties-tightened": "a response schema's `additionalProperties` lets less through",
    ResponseAdditionalPropertiesLoosened = "response-additional-properties-loosened": "a response schema's `additionalProperties` lets more through",
    RequestSchemaChanged = "request-schema-changed": "the schema of a request schema's `additionalProperties` changed (not analysed)",
    ResponseSchemaChanged = "response-schema-changed": "the schema of a response schema's `additionalProperties` changed (not analysed)",
    RequestMaxLengthTightened = "request-max-length-tightened": "a request schema's `maxLength` limit was added or made stricter",
    RequestMaxLengthLoosened = "request-max-length-loosened": "a request schema's `maxLength` limit was removed or relaxed",
    RequestMinLengthTightened = "request-min-length-tightened": "a request schema's `minLength` limit was added or made stricter",
    RequestMinLengthLoosened = "request-min-length-loosened": "a request schema's `minLength` limit was removed or relaxed",
    RequestMaximumTightened = "request-maximum-tightened": "a request schema's `maximum` (with `exclusiveMaximum`) limit was added or made stricter",
    RequestMaximumLoosened = "request-maximum-loosened": "a request schema's `maximum` (with `exclusiveMaximum`) limit was removed or relaxed",
    RequestMinimumTightened = "request-minimum-tightened": "a request schema's `minimum` (with `exclusiveMinimum`) limit was added or made stricter",
    RequestMinimumLoosened = "request-minimum-loosened": "a request schema's `minimum` (with `exclusiveMinimum`) limit was removed or relaxed",
    RequestMaxItemsTightened = "request-max-items-tightened": "a request schema's `maxItems` limit was added or made stricter",
    RequestMaxItemsLoosened = "request-max-items-loosened": "a request schema's `maxItems` limit was removed or relaxed",
    RequestMinItemsTightened = "request-min-items-tightened": "a request schema's `minItems` limit was added or made stricter",
    RequestMinItemsLoosened = "request-min-items-loosened": "a request schema's `minItems` limit was removed or relaxed",
    RequestUniqueItemsTightened = "request-unique-items-tightened": "a request schema's `uniqueItems` limit was added or made stricter",
    RequestUniqueItemsLoosened = "request-unique-items-loosened": "a request schema's `uniqueItems` limit was removed or relaxed",
    RequestPatternTightened = "request-pattern-tightened": "a request schema's `pattern` limit was added or made stricter",
    RequestPatternLoosened = "request-pattern-loosened": "a request schema's `pattern` limit was removed or relaxed",
    RequestMultipleOfTightened = "request-multiple-of-tightened": "a request schema's `multipleOf` limit was added or made stricter",
    RequestMultipleOfLoosened = "request-multiple-of-loosened": "a request schema's `multipleOf` limit was removed or relaxed",
    RequestPatternChanged = "request-pattern-changed": "a request schema's `pattern` changed (neither clearly stricter nor looser)",
    RequestMultipleOfChanged = "request-multiple-of-changed": "a request schema's `multipleOf` changed to a value that is neither a multiple nor a divisor of the old one",
    RequestDefaultChanged = "request-default-changed": "a request schema's `default` was added, removed or changed",
    RequestPropertyDeprecated = "request-property-deprecated": "a request property was marked `deprecated`",
    RequestPropertyUndeprecated = "request-property-undeprecated": "a request property is no longer `deprecated`",
    ResponseMaxLengthTightened = "response-max-length-tightened": "a response schema's `maxLength` limit was added or made stricter",
    ResponseMaxLengthLoosened = "response-max-length-loosened": "a response schema's `maxLength` limit was removed or relaxed",
    ResponseMinLengthTightened = "response-min-length-tightened": "a response schema's `minLength` limit was added or made stricter",
    ResponseMinLengthLoosened = "response-min-length-loosened": "a response schema's `minLength` limit was removed or relaxed",
    ResponseMaximumTightened = "response-maximum-tightened": "a response schema's `maximum` (with `exclusiveMaximum`) limit was added or made stricter",
    ResponseMaximumLoosened = "response-maximum-loosened": "a response schema's `maximum` (with `exclusiveMaximum`) limit was removed or relaxed",
    ResponseMinimumTightened = "response-minimum-tightened": "a response schema's `minimum` (with `exclusiveMinimum`) limit was added or made stricter",
    ResponseMinimumLoosened = "response-minimum-loosened": "a response schema's `minimum` (with `exclusiveMinimum`) limit was removed or relaxed",
    ResponseMaxItemsTightened = "response-max-items-tightened": "a response schema's `maxItems` limit was added or made stricter",
    ResponseMaxItemsLoosened = "response-max-items-loosened": "a response schema's `maxItems` limit was removed or relaxed",
    ResponseMinItemsTightened = "response-min-items-tightened": "a response schema's `minItems` limit was added or made stricter",
    ResponseMinItemsLoosened = "response-min-items-loosened": "a response schema's `minItems` limit was removed or relaxed",
    ResponseUniqueItemsTightened = "response-unique-items-tightened": "a response schema's `uniqueItems` limit was added or made stricter",
    ResponseUniqueItemsLoosened = "response-unique-items-loosened": "a response schema's `uniqueItems` limit was removed or relaxed",
    ResponsePatternTightened = "response-pattern-tightened": "a response schema's `pattern` limit was added or made stricter",
    ResponsePatternLoosened = "response-pattern-loosened": "a response schema's `pattern` limit was removed or relaxed",
    ResponseMultipleOfTightened = "response-multiple-of-tightened": "a response schema's `multipleOf` limit was added or made stricter",
    ResponseMultipleOfLoosened = "response-multiple-of-loosened": "a response schema's `multipleOf` limit was removed or relaxed",
    ResponsePatternChanged = "response-pattern-changed": "a response schema's `pattern` changed (neither clearly stricter nor looser)",
    ResponseMultipleOfChanged = "response-multiple-of-changed": "a response schema's `multipleOf` changed to a value that is neither a multiple nor a divisor of the old one",
    ResponseDefaultChanged = "response-default-changed": "a response schema's `default` was added, removed or changed",
    ResponsePropertyDeprecated = "response-property-deprecated": "a response property was marked `deprecated`",
    ResponsePropertyUndeprecated = "response-property-undeprecated": "a response property is no longer `deprecated`",
    RequestPropertyBecameReadOnly = "request-property-became-read-only": "a request property became `readOnly`",
    RequestPropertyNoLongerReadOnly = "request-property-no-longer-read-only": "a request property is no longer `readOnly`",
    ResponsePropertyBecameWriteOnly = "response-property-became-write-only": "a response property became `writeOnly`",
    ResponsePropertyNoLongerWriteOnly = "response-property-no-longer-write-only": "a response property is no longer `writeOnly`",
    OperationDeprecated = "operation-deprecated": "an operation was marked `deprecated`",
    OperationUndeprecated = "operation-undeprecated": "an operation is no longer `deprecated`",
    ParameterDeprecated = "parameter-deprecated": "a parameter was marked `deprecated`",
    ParameterUndeprecated = "parameter-undeprecated": "a parameter is no longer `deprecated`",
    ResponseStatusAdded = "response-status-added": "an operation documents a new response status",
    ResponseStatusRemoved = "response-status-removed": "an operation no longer documents a response status",
    ErrorSchemaChanged = "error-schema-changed": "the error response body was added, removed or changed type",
    ResponseBodyChanged = "response-body-changed": "the success response body was added or removed",
    SecurityChanged = "security-changed": "an operation's security requirements changed",
    SecuritySchemeChanged = "security-scheme-changed": "the definition of a security scheme both revisions use changed",
    SchemaRenamed = "schema-renamed": "a component schema was replaced by another name",
    SchemaMovedInline = "schema-moved-inline": "a component schema was written inline instead",
    SchemaMovedToComponents = "schema-moved-to-components": "an inline schema became a component schema",
    RustApiChanged = "rust-api-changed": "the generated rust api changed where no other rule names the document change",
    SchemaNotJudged = "schema-not-judged": "a construct of the vendor's definition the rules cannot compare (`invitations drift` only)",
    DocumentChanged = "document-changed": "the documents differ only in parts that do not change the api (descriptions, examples, info)",
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let mut seen = BTreeSet::new();
        for rule in Rule::ALL {
            let id = rule.id();
            assert!(seen.insert(id), "`{id}` is the id of two rules");
            assert!(
                !id.is_empty()
                    && !id.starts_with('-')
                    && !id.ends_with('-')
                    && !id.contains("--")
                    && id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "`{id}` is not kebab-case"
            );
            assert!(!rule.summary().is_empty(), "`{id}` has no summary");
            assert!(
                !rule.summary().contains('\n'),
                "the summary of `{id}` is not one line"
            );
        }
    }

    /// The ids named in the first column of the README's rule table (the
    /// table under "Diffing spec revisions" whose header starts `| id |`).
    fn readme_ids() -> BTreeSet<&'static str> {
        let readme = include_str!("../../../../README.md");
        let section = readme
            .split("\n## Diffing spec revisions\n")
            .nth(1)
            .expect("the README has a section `Diffing spec revisions`");
        let section = section.split("\n## ").next().unwrap_or(section);
        let mut lines = section
            .lines()
            .skip_while(|l| !l.starts_with("| id |"))
            .skip(2); // the header and the `| --- |` line
        let mut ids = BTreeSet::new();
        for line in lines.by_ref().take_while(|l| l.starts_with('|')) {
            let first = line.split('|').nth(1).unwrap_or("");
            for (i, part) in first.split('`').enumerate() {
                if i % 2 == 1 {
                    ids.insert(part);
                }
            }
        }
        assert!(!ids.is_empty(), "the README's rule table is missing");
        ids
    }

    #[test]
    fn the_readme_rule_table_lists_every_rule_and_nothing_else() {
        let readme = readme_ids();
        let registry: BTreeSet<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
        let missing: Vec<_> = registry.difference(&readme).collect();
        let unknown: Vec<_> = readme.difference(&registry).collect();
        assert!(
            missing.is_empty() && unknown.is_empty(),
            "rules missing from the README's rule table: {missing:?}; \
             ids in the table that no rule has: {unknown:?}"
        );
    }

    #[test]
    fn rules_display_as_their_id() {
        assert_eq!(
            Rule::RequestPropertyBecameRequired.to_string(),
            "request-property-became-required"
        );
        assert_eq!(
            Rule::ALL.len(),
            Rule::ALL.iter().collect::<BTreeSet<_>>().len()
        );
    }
}
