//! Arbitrary bytes as a binary plan. The body is `wireplan_fuzz::decode`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wireplan_fuzz::decode(data));
