//! Compiles the slint UI with its bundled translations. Debug info (element ids for the UI
//! tests' queries) only in dev builds.

fn main() {
    #[cfg(feature = "ui")]
    compile_ui();
}

#[cfg(feature = "ui")]
fn compile_ui() {
    let debug = std::env::var("PROFILE").as_deref() == Ok("debug");
    let config = slint_build::CompilerConfiguration::new()
        .with_bundled_translations("src/ui/lang")
        // One catalogue entry per string whatever component shows it.
        .with_default_translation_context(slint_build::DefaultTranslationContext::None)
        .with_debug_info(debug);
    if let Err(e) = slint_build::compile_with_config("src/ui/kiosk.slint", config) {
        panic!("the UI does not compile: {e}");
    }
}
