//! Keys, keyids, signatures.
