//! Arbitrary bytes as a binary plan. The body is `wireplan_fuzz::decode`:
//! it asserts that a plan is never accepted under a fingerprint its header
//! does not hold (a decoder that ignored the expected fingerprint fails),
//! that checking the fingerprint never changes the plan decoded, and that
//! only bytes the encoder writes decode.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wireplan_fuzz::decode(data));
