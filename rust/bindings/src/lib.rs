//! `turboboard._core`: the Python face of turboboard-core. Only argument conversion, GIL
//! handling and error mapping live here; everything else is in the core crate.

// Methods mirror tensorboardX's Python signatures, argument for argument.
#![allow(clippy::too_many_arguments)]

mod errors;
mod graph;
mod interop;
mod media;
mod plugins;
mod projector;
mod reader;
mod sink;
mod storage;
mod writer;

use pyo3::prelude::*;

#[pymodule]
mod _core {
    #[pymodule_export]
    use crate::writer::EventFileWriter;

    #[pymodule_export]
    use crate::writer::default_bucket_limits;

    #[pymodule_export]
    use crate::projector::write_embedding;

    #[pymodule_export]
    use crate::storage::{list_objects, read_object};

    #[pymodule_export]
    use crate::reader::{Table, read_runs};

    /// What a forked child must never find half done is done at import: the histogram's
    /// tables and the fork handler.
    #[pymodule_init]
    fn init(_module: &pyo3::Bound<'_, pyo3::types::PyModule>) -> pyo3::PyResult<()> {
        turboboard_core::histogram::build_tables();
        turboboard_core::writer::watch_forks();
        Ok(())
    }
}
