//! The **stdout** sink: one event per line on standard output, acknowledged
//! once written and flushed; each line is one write under
//! [`crate::stdio::lock`], so log lines on a shared pipe never cut it.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Ack, BuildError, Outgoing, Sink, SinkContext, SinkKindConfig};
use crate::values::{Problems, Table};

/// `type = "stdout"`: no keys of its own.
#[derive(Debug, Clone)]
pub struct StdoutConfig;

impl SinkKindConfig for StdoutConfig {
    fn parse(_: &mut Table, _: &HashMap<String, String>, _: &mut Problems) -> Option<Self> {
        Some(StdoutConfig)
    }

    fn build(&self, name: &str, _: &mut SinkContext) -> Result<Arc<dyn Sink>, BuildError> {
        Ok(Arc::new(StdoutSink::new(name)))
    }

    fn describe(&self) -> String {
        "stdout".into()
    }
}

/// Writes each alert's CloudEvents JSON as one line on standard output.
pub struct StdoutSink {
    name: String,
}

impl StdoutSink {
    /// The sink named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        StdoutSink { name: name.into() }
    }
}

impl Sink for StdoutSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn send(&self, alert: &Outgoing, ack: Ack) {
        let mut line = Vec::with_capacity(alert.json.len() + 1);
        line.extend_from_slice(&alert.json);
        line.push(b'\n');
        // The lock is released before the error is logged: logging takes it.
        let written = crate::stdio::write_stdout(&line);
        match written {
            Ok(()) => ack.done(),
            // Not acknowledged: the item stays uncommitted and is redone
            // after a restart.
            Err(e) => {
                tracing::error!(sink = %self.name, alert_id = %alert.id(), error = %e, "writing alert to stdout failed")
            }
        }
    }
}
