//! Arbitrary bytes as a descriptor document: parse, plan, render, encode
//! and decode. The body is `wireplan_fuzz::parse_plan`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wireplan_fuzz::parse_plan(data));
