//! Where items come from. Only Kafka for now.

pub mod health;
pub mod kafka;
pub mod transactions;
