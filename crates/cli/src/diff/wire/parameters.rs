//! Rules on an operation's parameters: `parameter-added`,
//! `parameter-removed`, `parameter-became-required` /
//! `parameter-became-optional`; their schemas go on to `schemas` (which
//! reports `parameter-type-changed`).

use serde_json::Value;

use super::{At, Context, Diff, Direction, FAILS_BEFORE_SENDING, Place, Site, is_deprecated};
use crate::diff::Level::{Breaking, Info, Warning};
use crate::diff::revision::{Operation, seg};
use crate::diff::rules::Rule;

impl Diff<'_, '_> {
    pub(super) fn parameters(&mut self, ctx: &Context, old: &Operation, new: &Operation) {
        let old_params = self.old.parameters(old);
        let new_params = self.new.parameters(new);
        let required = |p: &Value| super::flag(p, "required");
        for ((place, name), (o, o_at)) in &old_params {
            let Some((n, n_at)) = new_params.get(&(place.clone(), name.clone())) else {
                self.emit(
                    ctx,
                    Rule::ParameterRemoved,
                    Place::Old(o_at),
                    format!("{place} parameter `{name}` was removed"),
                    (Warning, "the server no longer reads it"),
                    None,
                );
                continue;
            };
            match (required(o), required(n)) {
                (false, true) => {
                    self.emit(
                        ctx,
                        Rule::ParameterBecameRequired,
                        Place::New(n_at),
                        format!("{place} parameter `{name}` became required"),
                        (Breaking, "requests without it are refused"),
                        Some(FAILS_BEFORE_SENDING),
                    );
                }
                (true, false) => {
                    self.emit(
                        ctx,
                        Rule::ParameterBecameOptional,
                        Place::New(n_at),
                        format!("{place} parameter `{name}` became optional"),
                        (Info, "requests with it still work"),
                        None,
                    );
                }
                _ => {}
            }
            if is_deprecated(o) != is_deprecated(n) {
                let (rule, message, wire) = if is_deprecated(n) {
                    (
                        Rule::ParameterDeprecated,
                        "is deprecated",
                        (Warning, "it may be removed; stop sending it"),
                    )
                } else {
                    (
                        Rule::ParameterUndeprecated,
                        "is no longer deprecated",
                        (Info, "it stays"),
                    )
                };
                self.emit(
                    ctx,
                    rule,
                    Place::New(n_at),
                    format!("{place} parameter `{name}` {message}"),
                    wire,
                    None,
                );
            }
            let at = At {
                old: seg(o_at, &["schema"]),
                new: seg(n_at, &["schema"]),
            };
            let (os, ns) = (&o["schema"], &n["schema"]);
            self.schema(
                ctx,
                Direction::Request,
                Site::Parameter { name },
                "",
                os,
                ns,
                &at,
                &mut Vec::new(),
            );
        }
        for ((place, name), (n, n_at)) in &new_params {
            if old_params.contains_key(&(place.clone(), name.clone())) {
                continue;
            }
            if required(n) {
                self.emit(
                    ctx,
                    Rule::ParameterAdded,
                    Place::New(n_at),
                    format!("{place} parameter `{name}` was added (required)"),
                    (Breaking, "requests without it are refused"),
                    Some(FAILS_BEFORE_SENDING),
                );
            } else {
                self.emit(
                    ctx,
                    Rule::ParameterAdded,
                    Place::New(n_at),
                    format!("{place} parameter `{name}` was added (optional)"),
                    (Info, "an optional parameter to send"),
                    None,
                );
            }
        }
    }
}
