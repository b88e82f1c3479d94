//! The generator's panic hook is its own business: while progenitor runs,
//! its panics become errors and print nothing; before and after, the
//! process's own hook sees every panic. One test alone in its binary, since
//! it swaps the process's panic hook.

use std::sync::atomic::{AtomicUsize, Ordering};

static SEEN: AtomicUsize = AtomicUsize::new(0);

#[test]
fn the_panic_hook_is_the_processs_own_outside_generation() {
    std::panic::set_hook(Box::new(|_| {
        SEEN.fetch_add(1, Ordering::SeqCst);
    }));
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/broken/progenitor_panics.yaml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let options = invitations_codegen::Options::default();
    for _ in 0..2 {
        let error = invitations_codegen::generate("progenitor_panics.yaml", &text, &options)
            .expect_err("progenitor panics on this document");
        assert!(error.message.contains("panicked"), "{error}");
    }
    assert_eq!(
        SEEN.load(Ordering::SeqCst),
        0,
        "progenitor's panics reached the process's hook"
    );

    let outside = std::thread::spawn(|| panic!("after generation")).join();
    assert!(outside.is_err());
    assert_eq!(
        SEEN.load(Ordering::SeqCst),
        1,
        "the process's own hook is back after generation"
    );
}
