//! qcow2 client (issue 4).
