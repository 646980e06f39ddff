#![no_main]

// The ONNX frontend turns a panic of the protobuf decoder it uses into an error
// (`catch_unwind`). libFuzzer's panic hook would abort on that caught panic, so this target
// prints panics instead of aborting; a panic nobody catches still ends the run as a crash.
libfuzzer_sys::fuzz_target!(
    init: std::panic::set_hook(Box::new(|info| eprintln!("{info}"))),
    |data: &[u8]| snnc_testgen::fuzz::onnx(data)
);
