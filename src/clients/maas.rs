//! maas client (issue 4).
