//! Running progenitor without its panics reaching the user: a panic is
//! caught and turned into an error, and pinned to the operation it happened
//! on by generating each operation alone.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::sync::{Arc, Mutex};

use proc_macro2::TokenStream;
use serde_json::{Map, Value};

use super::{Document, GenerateError, METHODS, OperationRef, Vendor};

impl Document<'_> {
    /// progenitor panicked: find the operation it panicked on by generating
    /// each operation alone, and report the panic with that place.
    pub(super) fn explain_panic(
        &self,
        vendor: &Vendor,
        spec: &Value,
        settings: &progenitor::GenerationSettings,
        message: &str,
    ) -> GenerateError {
        let paths = spec
            .get("paths")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (path, item) in &paths {
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let mut single_item = item.as_object().cloned().unwrap_or_default();
                single_item.retain(|k, _| !METHODS.contains(&k.as_str()) || k == method);
                let mut single = spec.clone();
                single["paths"] =
                    Value::Object(Map::from_iter([(path.clone(), Value::Object(single_item))]));
                let Ok(openapi) = serde_json::from_value::<openapiv3::OpenAPI>(single) else {
                    continue;
                };
                if run_progenitor(settings, |g| g.generate_tokens(&openapi)).is_err() {
                    let original = self.root["paths"][path][method].as_object();
                    let op_ref = OperationRef {
                        path: path.clone(),
                        method: method.to_owned(),
                        operation: original.or(op.as_object()).expect("operations are objects"),
                    };
                    return self.error_at(
                        &["paths", path, method],
                        op_ref.describe(),
                        format!("progenitor failed on this operation (it panicked: {message})"),
                    );
                }
            }
        }
        self.error_at(
            &[],
            format!("vendor {}", vendor.name),
            format!("progenitor failed on this vendor's document (it panicked: {message})"),
        )
    }
}

thread_local! {
    static CAPTURED_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
    static CAPTURING: RefCell<bool> = const { RefCell::new(false) };
}

/// The panic hook that was in place before generation started, shared by
/// the capturing hook (which passes other threads' panics on to it) and the
/// last [`HookGuard`] to finish, which puts it back.
type PreviousHook = Arc<Box<dyn Fn(&PanicHookInfo<'_>) + Send + Sync + 'static>>;

/// How many generations run at once, and the hook they replaced: the
/// capturing hook is installed by the first and the previous hook restored
/// by the last, so that outside generation the process's hook is its own.
static ACTIVE: Mutex<(usize, Option<PreviousHook>)> = Mutex::new((0, None));

/// Installs the capturing hook for as long as it lives (see [`ACTIVE`]).
struct HookGuard;

impl HookGuard {
    fn install() -> HookGuard {
        let mut active = ACTIVE.lock().unwrap_or_else(|e| e.into_inner());
        if active.0 == 0 {
            let previous: PreviousHook = Arc::new(panic::take_hook());
            let forward = previous.clone();
            panic::set_hook(Box::new(move |info| {
                if CAPTURING.with(|c| *c.borrow()) {
                    let message = info
                        .payload()
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| info.payload().downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "unknown panic".to_owned());
                    CAPTURED_PANIC.with(|c| *c.borrow_mut() = Some(message));
                } else {
                    forward(info);
                }
            }));
            active.1 = Some(previous);
        }
        active.0 += 1;
        HookGuard
    }
}

impl Drop for HookGuard {
    fn drop(&mut self) {
        let mut active = ACTIVE.lock().unwrap_or_else(|e| e.into_inner());
        active.0 -= 1;
        if active.0 == 0 {
            // Dropping the capturing hook drops its copy of the previous one.
            drop(panic::take_hook());
            if let Some(previous) = active.1.take() {
                match Arc::try_unwrap(previous) {
                    Ok(hook) => panic::set_hook(hook),
                    Err(shared) => panic::set_hook(Box::new(move |info| shared(info))),
                }
            }
        }
    }
}

/// Runs progenitor, turning a panic into `Err(message)` without printing a
/// backtrace. The capturing panic hook is in place only while generation
/// runs; panics on other threads meanwhile still reach the previous hook.
pub(super) fn run_progenitor(
    settings: &progenitor::GenerationSettings,
    run: impl FnOnce(&mut progenitor::Generator) -> Result<TokenStream, progenitor::Error>,
) -> Result<Result<TokenStream, progenitor::Error>, String> {
    let _hook = HookGuard::install();
    CAPTURING.with(|c| *c.borrow_mut() = true);
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        run(&mut progenitor::Generator::new(settings))
    }));
    CAPTURING.with(|c| *c.borrow_mut() = false);
    result.map_err(|_| {
        CAPTURED_PANIC
            .with(|c| c.borrow_mut().take())
            .unwrap_or_else(|| "unknown panic".to_owned())
    })
}
