//! Cooperative interruption. The command line's Ctrl-C handler calls [`request`]; long-running
//! library code calls [`check`] at safe points (between external-tool polls, search batches,
//! layers) and returns [`Diagnostic::interrupted`], so destructors run and temporary files and folders
//! are removed on the way out.

use crate::diag::{Diagnostic, Result};
use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Ask every running operation to stop at its next safe point.
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Whether an interruption has been requested.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// An [`Kind::Interrupted`](crate::Kind::Interrupted) error if an interruption was requested.
pub fn check() -> Result<()> {
    if requested() {
        Err(Diagnostic::interrupted())
    } else {
        Ok(())
    }
}
