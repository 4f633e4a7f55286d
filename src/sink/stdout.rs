//! The **stdout** sink: one event per line on standard output, acknowledged
//! once written and flushed.

use std::io::Write;

use super::{Ack, Outgoing, Sink};

pub struct StdoutSink {
    name: String,
}

impl StdoutSink {
    pub fn new(name: impl Into<String>) -> Self {
        StdoutSink { name: name.into() }
    }
}

impl Sink for StdoutSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn send(&self, alert: &Outgoing, ack: Ack) {
        let mut out = std::io::stdout().lock();
        let written = out
            .write_all(&alert.json)
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush());
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
